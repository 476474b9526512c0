# Sourced by docs/cli-startup.sh and docs/tool-package.sh: strict mode, the repository as the working directory,
# no telemetry or banner from dotnet, never the caller's own store, and this machine's runtime identifier in $rid.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
unset AGENTLOCKS_ROOT AGENTLOCKS_POSTGRES
case $(uname -m) in aarch64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
