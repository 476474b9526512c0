using AgentLocks.Benchmarks;
using BenchmarkDotNet.Running;

// `write-synthetic-project DIR` writes the analyzer benchmark's project to disk for analyzer-cost.sh.
if (args is ["write-synthetic-project", var directory])
{
    AnalyzerBenchmarks.WriteProject(directory);
    return;
}

// `mcp-interleaved ROUNDS` alternates MCP and library calls, so both meet the same load (McpBenchmarks).
if (args is ["mcp-interleaved", var rounds])
{
    await McpBenchmarks.RunInterleavedAsync(int.Parse(rounds, System.Globalization.CultureInfo.InvariantCulture), Console.Out);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
