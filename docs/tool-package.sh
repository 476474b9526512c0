#!/usr/bin/env bash
# Packs the agentlocks tool as it ships (docs/cli-startup.md, "The tool package"): the AgentLocks.Tool package that
# names the per-runtime ones, AgentLocks.Tool.any (framework-dependent, for every platform without a native build)
# and AgentLocks.Tool.<rid> (Native AOT, for this machine's runtime). Installs it from that local feed into a
# temporary tool path, as `dotnet tool install -g AgentLocks.Tool` would, then times cold `agentlocks --json status`
# calls of the installed tool beside the framework-dependent build and an empty console program, interleaved, ROUNDS
# rounds (default 60) after 3 warm-up rounds.
# Usage: docs/tool-package.sh [WORK_DIR] [ROUNDS]
source "$(dirname "$0")/startup-env.sh"

work=${1:-$(mktemp -d /tmp/agentlocks-tool-package.XXXXXX)}
rounds=${2:-60}
version=0.0.0-local.$(date -u +%Y%m%d%H%M%S)
feed=$work/feed
mkdir -p "$feed"

pack() { # then dotnet pack options
  echo "dotnet pack $*" >&2
  dotnet pack src/AgentLocks.Cli -c Release -o "$feed" -p:Version="$version" --artifacts-path "$work/artifacts" "$@" >>"$work/pack.log" 2>&1 \
    || { tail -30 "$work/pack.log" >&2; exit 1; }
}
start=$SECONDS
pack
pack -r any
pack -r "$rid"
echo "packed in $((SECONDS - start)) s: $(cd "$feed" && ls -s --block-size=K ./*.nupkg | tr '\n' ' ')"
grep -iE 'warning (IL|NU)' "$work/pack.log" | sort -u >&2 || true

cat >"$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$work/packages" /></config>
  <packageSources><clear /><add key="local" value="$feed" /></packageSources>
</configuration>
CONFIG
dotnet tool install AgentLocks.Tool --tool-path "$work/tools" --version "$version" --configfile "$work/nuget.config"
file -L "$work/tools/agentlocks" | grep -q ELF || { echo "the installed agentlocks is not a native executable" >&2; exit 1; }
echo "installed: $("$work/tools/agentlocks" --version), $(du -shL "$work/tools/agentlocks" | cut -f1) native executable"

# What a platform without a native build gets: the framework-dependent assembly, run by dotnet.
mkdir -p "$work/any" && (cd "$work/any" && unzip -qo "$feed/AgentLocks.Tool.any.$version.nupkg")
# The floor: an empty console program (the runtime's start and exit, nothing else).
mkdir -p "$work/empty"
cat >"$work/empty/Empty.csproj" <<'PROJECT'
<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><InvariantGlobalization>true</InvariantGlobalization></PropertyGroup></Project>
PROJECT
echo 'System.Console.WriteLine("{}");' >"$work/empty/Program.cs"
dotnet build "$work/empty" -c Release -o "$work/empty/out" >"$work/empty.log" 2>&1 || { tail -20 "$work/empty.log" >&2; exit 1; }

variants=(installed-aot any-jit empty)
run() {
  case $1 in
    installed-aot) "$work/tools/agentlocks" --json --root "$work/root" status ;;
    any-jit) dotnet "$work/any/tools/net10.0/any/AgentLocks.Cli.dll" --json --root "$work/root" status ;;
    empty) "$work/empty/out/Empty" ;;
  esac
}
"$work/tools/agentlocks" --root "$work/root" agent register --agent bench >/dev/null
"$work/tools/agentlocks" --root "$work/root" reserve --agent bench --scope 'src/**' --bead bd-1 >/dev/null

: >"$work/samples"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 0; round < rounds + 3; round++)); do
  for ((i = 0; i < ${#variants[@]}; i++)); do
    v=${variants[(round + i) % ${#variants[@]}]}
    t0=${EPOCHREALTIME/./}
    out=$(run "$v")
    t1=${EPOCHREALTIME/./}
    [ "$v" = empty ] || [[ $out == '{"ok":true,"command":"agent status"'* ]] || { echo "$v: unexpected answer: $out" >&2; exit 1; }
    [ $round -lt 3 ] || echo "$v $((t1 - t0))" >>"$work/samples"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); $rounds calls per variant"
empty=$(awk '$1 == "empty" { print $2 }' "$work/samples" | sort -n | awk '{ x[NR] = $1 } END { print x[int(NR / 2 + 0.5)] }')
echo
echo "| build | median | p99 | min | median / empty |"
echo "|---|---:|---:|---:|---:|"
for v in "${variants[@]}"; do
  awk -v v="$v" '$1 == v { print $2 }' "$work/samples" | sort -n | awk -v v="$v" -v empty="$empty" '
    { x[NR] = $1 }
    function rank(p) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return x[i] }
    END { printf "| %s | %.1f ms | %.1f ms | %.1f ms | %.2fx |\n", v, rank(0.50) / 1000, rank(0.99) / 1000, x[1] / 1000, rank(0.50) / empty }'
done
