#!/usr/bin/env bash
# The start-up benchmark of the agentlocks command (docs/cli-startup.md): publishes the JIT, ReadyToRun and
# Native AOT builds of src/AgentLocks.Cli, then times one cold `agentlocks reserve ... --json` process per
# iteration with BenchmarkDotNet (tests/AgentLocks.Benchmarks/CliStartupBenchmarks.cs).
# Usage: docs/cli-startup.sh [BUILD_DIR]   (about 6 minutes on 2 vCPUs; the report lands in BenchmarkDotNet.Artifacts/)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

builds=${1:-$(mktemp -d /tmp/agentlocks-cli-builds.XXXXXX)}
rid=linux-x64
[ "$(uname -m)" = aarch64 ] && rid=linux-arm64

publish() { # name, then dotnet publish options
  local name=$1; shift
  echo "== publishing $name into $builds/$name"
  dotnet publish src/AgentLocks.Cli -c Release -o "$builds/$name" "$@" >"$builds/$name.log" 2>&1 \
    || { cat "$builds/$name.log"; exit 1; }
}
publish jit
publish readytorun -r "$rid" --self-contained false -p:PublishReadyToRun=true
publish aot -r "$rid" -p:PublishAot=true

echo "== machine"
lscpu | grep 'Model name' || true
echo "vCPUs: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
ls -l "$builds/aot/AgentLocks.Cli"

AGENTLOCKS_CLI_BUILDS=$builds dotnet run -c Release --project tests/AgentLocks.Benchmarks -- --filter '*CliStartupBenchmarks*' "${@:2}"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
