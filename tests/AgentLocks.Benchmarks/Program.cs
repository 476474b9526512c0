using AgentLocks.Benchmarks;
using BenchmarkDotNet.Running;

// `write-synthetic-project DIR` writes the analyzer benchmark's project to disk for analyzer-cost.sh.
if (args is ["write-synthetic-project", var directory])
{
    AnalyzerBenchmarks.WriteProject(directory);
    return;
}

// `analyzer-cpu [BASELINE_DLL] [ROUNDS]`: the analyzers' CPU cost on the synthetic project, beside another build of them.
if (args is ["analyzer-cpu", .. var rest])
{
    AnalyzerBenchmarks.CompareCpu(rest.Length > 0 && rest[0] != "-" ? rest[0] : null, rest.Length > 1 ? int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture) : 5);
    return;
}

// `mcp-interleaved ROUNDS` alternates MCP and library calls, so both meet the same load (McpBenchmarks).
if (args is ["mcp-interleaved", var rounds])
{
    await McpBenchmarks.RunInterleavedAsync(int.Parse(rounds, System.Globalization.CultureInfo.InvariantCulture), Console.Out);
    return;
}

// `file-store [ROUNDS] [--in-process]`: the file store beside its floor, and 1 against 8 processes (ReservationBenchmarks).
if (args is ["file-store", .. var storeArgs])
{
    var storeRounds = storeArgs.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 200;
    await ReservationBenchmarks.RunAsync(storeRounds, processes: !storeArgs.Contains("--in-process"), Console.Out);
    return;
}

// `pg-one-client [BLOCKS] [ROUND_TRIPS]`: one client beside the raw two-commit floor, alternating (PostgresOneClient).
if (args is ["pg-one-client", .. var pgArgs])
{
    await PostgresOneClient.RunAsync(
        pgArgs.Length > 0 ? int.Parse(pgArgs[0], System.Globalization.CultureInfo.InvariantCulture) : 20,
        pgArgs.Length > 1 ? int.Parse(pgArgs[1], System.Globalization.CultureInfo.InvariantCulture) : 500,
        Console.Out);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
