#!/usr/bin/env bash
# Builds projects of this repository with the AgentLocks analyzers added to every project (through
# CustomAfterMicrosoftCommonTargets: no project file changes) and fails when any AGL diagnostic is reported: the
# repository's own code that releases its handles correctly is a zero-diagnostic corpus for the rules.
#
# Usage: analyzers/corpus-build.sh [PROJECT...]   (default: the samples and the test projects written as correct code)
# Test projects that leak handles on purpose (a lock kept past the test, a release after an assertion, a refusal that
# is only asserted) are not in the default set; pass them explicitly to list what the rules say about them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then
    projects=(samples/AgentSwarm tests/AgentSwarm.Tests tests/AgentLocks.Benchmarks tests/AgentLocks.Generators.Tests tests/AgentLocks.Analyzers.Tests)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build analyzers/AgentLocks.Analyzers -nologo -v:q -o "$work/analyzers" >/dev/null
cat >"$work/add-analyzers.targets" <<TARGETS
<Project>
  <ItemGroup Condition="'\$(MSBuildProjectName)' != 'AgentLocks.Analyzers' and '\$(MSBuildProjectName)' != 'AgentLocks.CodeFixes' and '\$(MSBuildProjectName)' != 'AgentLocks.Generators'">
    <Analyzer Include="$work/analyzers/AgentLocks.Analyzers.dll" />
  </ItemGroup>
</Project>
TARGETS

status=0
for project in "${projects[@]}"; do
    log="$work/$(basename "$project").log"
    # A separate artifacts path: a full compile with the analyzers, without touching the usual outputs.
    built=0
    dotnet build "$project" -nologo -v:q --artifacts-path "$work/artifacts" \
        -p:CustomAfterMicrosoftCommonTargets="$work/add-analyzers.targets" -p:TreatWarningsAsErrors=false >"$log" 2>&1 || built=$?
    found=$(grep -E ": (warning|error|info) AGL[0-9]+" "$log" | sed "s|$root/||" | sort -u || true)
    if [ "$built" -eq 0 ] && [ -z "$found" ]; then
        echo "clean    $project"
    else
        status=1
        echo "REPORTED $project"
        if [ -n "$found" ]; then echo "$found" | sed 's/^/    /'; else tail -20 "$log" | sed 's/^/    /'; fi
    fi
done
exit $status
