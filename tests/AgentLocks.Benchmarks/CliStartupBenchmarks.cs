using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Mathematics.OutlierDetection;

namespace AgentLocks.Benchmarks;

/// <summary>
/// The start-up of the <c>agentlocks</c> command, as a script or an agent pays it: every iteration starts one new
/// process that runs <c>agentlocks --json --root R reserve --agent bench --scope src/bench/** --bead bd-1 --ttl 30</c>,
/// reads its envelope and waits for it to exit (a warm disk cache, a cold process). One call per iteration and no
/// outlier removal, so the median and the p99 are those of single calls. The builds come from
/// <c>docs/cli-startup.sh</c>, which publishes them into <c>$AGENTLOCKS_CLI_BUILDS</c> and runs this benchmark.
/// </summary>
[Config(typeof(StartupConfig))]
public class CliStartupBenchmarks
{
    private string _root = null!;
    private Variant _variant = null!;

    /// <summary>How the command is started; see <see cref="Variants"/>.</summary>
    [ParamsSource(nameof(Names))]
    public string Build { get; set; } = null!;

    public static IEnumerable<string> Names => Variants.Select(v => v.Name);

    /// <summary>
    /// The JIT build started as <c>dotnet AgentLocks.Cli.dll</c> and through its apphost, then through the apphost
    /// with tiered PGO off and with tiered compilation off (<c>DOTNET_TieredPGO=0</c>, <c>DOTNET_TieredCompilation=0</c>);
    /// then the ReadyToRun build's apphost and the Native AOT executable.
    /// </summary>
    private static IReadOnlyList<Variant> Variants { get; } =
    [
        new("jit-dll", "jit", UseMuxer: true),
        new("jit-apphost", "jit"),
        new("jit-TieredPGO=0", "jit", Environment: ("DOTNET_TieredPGO", "0")),
        new("jit-TC=0", "jit", Environment: ("DOTNET_TieredCompilation", "0")),
        new("readytorun", "readytorun"),
        new("aot", "aot"),
    ];

    [GlobalSetup]
    public void Setup()
    {
        _variant = Variants.Single(v => v.Name == Build);
        _root = Directory.CreateTempSubdirectory("agentlocks-startup-").FullName;
        Run("--json", "--root", _root, "agent", "register", "--agent", "bench");
    }

    /// <summary>A same-agent reserve of a scope it holds renews it: every call does the same work on the same files.</summary>
    [Benchmark]
    public void Reserve() => Run("--json", "--root", _root, "reserve", "--agent", "bench", "--scope", "src/bench/**", "--bead", "bd-1", "--ttl", "30");

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    private void Run(params string[] args)
    {
        var start = _variant.StartInfo();
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !stdout.StartsWith("{\"ok\":true", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{Build}: agentlocks {string.Join(' ', args)} exited {process.ExitCode}: {stdout}");
        }
    }

    private sealed record Variant(string Name, string Directory, bool UseMuxer = false, (string Name, string Value)? Environment = null)
    {
        public ProcessStartInfo StartInfo()
        {
            var builds = System.Environment.GetEnvironmentVariable("AGENTLOCKS_CLI_BUILDS")
                ?? throw new InvalidOperationException("Set AGENTLOCKS_CLI_BUILDS to the folder docs/cli-startup.sh publishes into (or run that script).");
            var folder = Path.Combine(builds, Directory);
            var start = new ProcessStartInfo(UseMuxer ? "dotnet" : Path.Combine(folder, "AgentLocks.Cli"))
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            if (UseMuxer)
            {
                start.ArgumentList.Add(Path.Combine(folder, "AgentLocks.Cli.dll"));
            }

            start.Environment.Remove("AGENTLOCKS_ROOT");
            start.Environment.Remove("AGENTLOCKS_POSTGRES");
            if (Environment is { } variable)
            {
                start.Environment[variable.Name] = variable.Value;
            }

            return start;
        }
    }

    /// <summary>One process per iteration, 100 of them after 5 warm-ups, nothing removed; median and p99 in milliseconds; run in the host process.</summary>
    private sealed class StartupConfig : ManualConfig
    {
        public StartupConfig()
        {
            AddJob(Job.Default
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(5)
                .WithIterationCount(100)
                .WithInvocationCount(1)
                .WithUnrollFactor(1)
                .WithOutlierMode(OutlierMode.DontRemove)
                // The measured work is another process, so the host needs no isolation, and skipping the generated
                // project's build spares minutes on a loaded machine (where it even timed out).
                .WithToolchain(InProcessEmitToolchain.Instance));
            AddColumn(StatisticColumn.Median, new PercentileColumn(99), StatisticColumn.Min, StatisticColumn.Max);
            HideColumns(Column.Error, Column.StdDev);
        }
    }

    /// <summary>The p-th percentile of single calls, in milliseconds (BenchmarkDotNet's built-in percentile columns stop at P95).</summary>
    private sealed class PercentileColumn(int percentile) : IColumn
    {
        public string Id => ColumnName;

        public string ColumnName => $"P{percentile}";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => 10;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Time;

        public string Legend => $"{percentile}th percentile of single calls";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
            => summary[benchmarkCase]?.ResultStatistics is { } statistics
                ? (statistics.Percentiles.Percentile(percentile) / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " ms"
                : "NA";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
