#!/usr/bin/env bash
# The analyzers' and the generator's share of a real build of the synthetic project (1,000 files that use the API;
# tests/AgentLocks.Benchmarks/SyntheticProject.cs writes it). Each run is a full recompile with
# `dotnet build --no-incremental -p:ReportAnalyzer=true -v:d`; the compiler's analyzer and generator summaries and the
# MSBuild performance summary are read from the log. Prints one line per run, whether csc ran in the build server,
# and the median of the runs' shares of csc.
#
# With BASELINE=path/to/AgentLocks.Analyzers.dll (another build of the analyzers, say from main), every run builds the
# project twice, back to back: once with the baseline, once with this tree's analyzers. The machine's load then
# weighs on both alike; compare their medians (and the load printed with each run).
#
# Usage: [BASELINE=dll] tests/AgentLocks.Benchmarks/analyzer-cost.sh [DIR] [RUNS]   (DIR: a new temp directory, RUNS: 3)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$(mktemp -d)/synthetic}
runs=${2:-3}
baseline=${BASELINE:-}

dotnet build -c Release "$here/AgentLocks.Benchmarks.csproj" -nologo -v:q >/dev/null
rm -rf "$dir"
dotnet "$here/bin/Release/net10.0/AgentLocks.Benchmarks.dll" write-synthetic-project "$dir"
dotnet build "$dir" -nologo -v:q >/dev/null # restore, start the build server, warm the compiler up

# measure LABEL RUN [msbuild arguments]: one full recompile, one line of figures.
measure() {
    local label=$1 run=$2
    shift 2
    local log="$dir/build-$label-$run.log"
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    dotnet build "$dir" -nologo --no-restore --no-incremental -p:ReportAnalyzer=true -v:d -clp:PerformanceSummary "$@" >"$log" 2>&1
    awk -v run="$run" -v label="$label" -v load="$load" '
        /Total analyzer execution time:/ { all = $(NF-1) }
        /^ *[0-9.<]+ +[0-9<]+ +AgentLocks\.Analyzers, Version/ { ours = $1 }
        /^ *[0-9.<]+ +[0-9<]+ +AgentLocks\.Analyzers\.Lifetime\.HandleLifetimeAnalyzer / { lifetime = $1 }
        /^ *[0-9.<]+ +[0-9<]+ +AgentLocks\.Generators, Version/ { generator = $1 }
        /^ *[0-9]+ ms +Csc +[0-9]+ calls/ { csc = $1 / 1000 }
        /^Time Elapsed/ { split($3, t, ":"); build = t[1] * 3600 + t[2] * 60 + t[3] }
        END { printf "%-8s %3d  %5s  %7.1f  %5.1f  %15s  %22s  %16s  %22s\n", label, run, load, build, csc, all, ours, lifetime, generator }
    ' "$log"
}

echo "build    run  load  build_s  csc_s  all_analyzers_s  agentlocks_analyzers_s  lifetime_rules_s  agentlocks_generator_s"
results=()
for run in $(seq 1 "$runs"); do
    if [ -n "$baseline" ]; then
        line=$(measure baseline "$run" -p:AgentLocksAnalyzers="$baseline")
        echo "$line"
        results+=("$line")
    fi
    line=$(measure current "$run")
    echo "$line"
    results+=("$line")
done

# Whether csc ran in the build server (warm: the analyzers' code stays compiled between builds) or as a new process
# per build (UseSharedCompilation=false in the environment: every build loads and JIT-compiles the analyzers afresh).
grep -h -m1 -o 'CompilerServer: [a-z]* - [a-z ]*' "$dir"/build-current-1.log || true

# The median and range of each build's share of csc (a run's figures move together with the load, so the share of
# each run is steadier than the share of median seconds).
for label in baseline current; do
    printf '%s\n' "${results[@]}" | awk -v label="$label" '$1 == label { print 100 * $7 / $5, 100 * $9 / $5, $0 }' | sort -n | awk -v label="$label" '
        { share[NR] = $1; generator[NR] = $2; line[NR] = $0 }
        END {
            if (NR == 0) exit
            m = int((NR + 1) / 2)
            split(line[m], f, " ")
            printf "%s median share: AgentLocks analyzers %.1f%% of csc (runs %.1f to %.1f%%; that run: csc %s s, AgentLocks analyzers %s s, lifetime rules %s s, AgentLocks generator %.1f%% of csc)\n",
                label, share[m], share[1], share[NR], f[7], f[9], f[10], generator[m]
        }'
done
