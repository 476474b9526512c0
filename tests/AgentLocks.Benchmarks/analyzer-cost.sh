#!/usr/bin/env bash
# The analyzers' and the generator's share of a real build of the synthetic project (1,000 files that use the API;
# tests/AgentLocks.Benchmarks/SyntheticProject.cs writes it). Each run is a full recompile with
# `dotnet build --no-incremental -p:ReportAnalyzer=true -v:d`; the compiler's analyzer and generator summaries and the
# MSBuild performance summary are read from the log. Prints one line per run and the median.
#
# Usage: tests/AgentLocks.Benchmarks/analyzer-cost.sh [DIR] [RUNS]   (DIR defaults to a new temp directory, RUNS to 3)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$(mktemp -d)/synthetic}
runs=${2:-3}

dotnet build -c Release "$here/AgentLocks.Benchmarks.csproj" -nologo -v:q >/dev/null
rm -rf "$dir"
dotnet "$here/bin/Release/net10.0/AgentLocks.Benchmarks.dll" write-synthetic-project "$dir"
dotnet build "$dir" -nologo -v:q >/dev/null # restore, start the build server, warm the compiler up

echo "run  build_s  csc_s  all_analyzers_s  agentlocks_analyzers_s  agentlocks_generator_s"
results=()
for run in $(seq 1 "$runs"); do
    log="$dir/build-$run.log"
    dotnet build "$dir" -nologo --no-restore --no-incremental -p:ReportAnalyzer=true -v:d -clp:PerformanceSummary >"$log" 2>&1
    line=$(awk -v run="$run" '
        /Total analyzer execution time:/ { all = $(NF-1) }
        /^ *[0-9.<]+ +[0-9<]+ +AgentLocks\.Analyzers, Version/ { ours = $1 }
        /^ *[0-9.<]+ +[0-9<]+ +AgentLocks\.Generators, Version/ { generator = $1 }
        /^ *[0-9]+ ms +Csc +[0-9]+ calls/ { csc = $1 / 1000 }
        /^Time Elapsed/ { split($3, t, ":"); build = t[1] * 3600 + t[2] * 60 + t[3] }
        END { printf "%3d  %7.1f  %5.1f  %15s  %22s  %22s\n", run, build, csc, all, ours, generator }
    ' "$log")
    echo "$line"
    results+=("$line")
done

printf '%s\n' "${results[@]}" | sort -k3 -n | awk -v n="$runs" '
    NR == int((n + 1) / 2) {
        printf "median (by csc): build %.1f s, csc %.1f s, all analyzers %s s, AgentLocks analyzers %s s (%.1f%% of csc), AgentLocks generator %s s (%.1f%% of csc)\n",
            $2, $3, $4, $5, 100 * $5 / $3, $6, 100 * $6 / $3
    }'
