using AgentLocks.Benchmarks;
using BenchmarkDotNet.Running;

// `write-synthetic-project DIR` writes the analyzer benchmark's project to disk for analyzer-cost.sh.
if (args is ["write-synthetic-project", var directory])
{
    AnalyzerBenchmarks.WriteProject(directory);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
