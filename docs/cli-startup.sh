#!/usr/bin/env bash
# The start-up benchmark of the agentlocks command (docs/cli-startup.md). Publishes the JIT, ReadyToRun (alone,
# and self-contained composite with the framework) and Native AOT builds of src/AgentLocks.Cli, then times cold
# `agentlocks --json reserve ...` processes, one call at a time, ROUNDS rounds (default 100) after 5 warm-up
# rounds. Each round runs every variant once, in an order that rotates from round to round, so all variants
# meet the same load on a shared machine.
# Usage: docs/cli-startup.sh [BUILD_DIR] [ROUNDS]
source "$(dirname "$0")/startup-env.sh"

builds=${1:-$(mktemp -d /tmp/agentlocks-cli-builds.XXXXXX)}
rounds=${2:-100}

publish() { # name, then dotnet publish options
  local name=$1; shift
  echo "publishing $name into $builds/$name" >&2
  # Each build has its own obj/ and bin/: they would otherwise share obj/Release/net10.0/linux-x64, and a
  # ReadyToRun publish after a composite one picks up stale precompiled images (the program then aborts).
  dotnet publish src/AgentLocks.Cli -c Release --artifacts-path "$builds/artifacts-$name" -o "$builds/$name" "$@" >"$builds/$name.log" 2>&1 \
    || { cat "$builds/$name.log" >&2; exit 1; }
}
publish jit -p:PublishAot=false
publish readytorun -r "$rid" --self-contained false -p:PublishAot=false -p:PublishReadyToRun=true
publish readytorun-composite -r "$rid" --self-contained -p:PublishAot=false -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true
publish aot -r "$rid" -p:PublishAot=true

variants=(jit-dll jit-apphost jit-TieredPGO=0 jit-TC=0 readytorun readytorun-composite aot)
run() { # variant, then agentlocks arguments
  local variant=$1; shift
  case $variant in
    jit-dll) dotnet "$builds/jit/AgentLocks.Cli.dll" "$@" ;;
    jit-apphost) "$builds/jit/AgentLocks.Cli" "$@" ;;
    jit-TieredPGO=0) DOTNET_TieredPGO=0 "$builds/jit/AgentLocks.Cli" "$@" ;;
    jit-TC=0) DOTNET_TieredCompilation=0 "$builds/jit/AgentLocks.Cli" "$@" ;;
    readytorun) "$builds/readytorun/AgentLocks.Cli" "$@" ;;
    readytorun-composite) "$builds/readytorun-composite/AgentLocks.Cli" "$@" ;;
    aot) "$builds/aot/AgentLocks.Cli" "$@" ;;
  esac
}

# One coordination root per variant, its agent registered. The measured call is a reserve of a scope the agent
# already holds, which renews it: every call reads and rewrites the same files (active.json, history.jsonl) and fsyncs.
work=$(mktemp -d /tmp/agentlocks-startup.XXXXXX)
trap 'rm -rf "$work"' EXIT
for v in "${variants[@]}"; do
  run "$v" --root "$work/$v" agent register --agent bench >/dev/null
done

call() { # variant; appends "variant microseconds" to the samples unless warming up
  local t0 t1 out
  t0=${EPOCHREALTIME/./}
  out=$(run "$1" --json --root "$work/$1" reserve --agent bench --scope 'src/bench/**' --bead bd-1 --ttl 30) || true
  t1=${EPOCHREALTIME/./}
  [[ $out == '{"ok":true,"command":"agent reserve"'* ]] || { echo "$1: unexpected answer: $out" >&2; exit 1; }
  [ "$2" = warm-up ] || echo "$1 $((t1 - t0))" >>"$work/samples"
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 0; round < rounds + 5; round++)); do
  for ((i = 0; i < ${#variants[@]}; i++)); do
    call "${variants[(round + i) % ${#variants[@]}]}" "$([ $round -lt 5 ] && echo warm-up || echo measured)"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); $rounds calls per variant"
echo
echo "| build | median | p99 | min | max |"
echo "|---|---:|---:|---:|---:|"
for v in "${variants[@]}"; do
  awk -v v="$v" '$1 == v { print $2 }' "$work/samples" | sort -n | awk -v v="$v" '
    { x[NR] = $1 }
    function rank(p) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return x[i] / 1000 }
    END { printf "| %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms |\n", v, rank(0.50), rank(0.99), x[1] / 1000, x[NR] / 1000 }'
done
