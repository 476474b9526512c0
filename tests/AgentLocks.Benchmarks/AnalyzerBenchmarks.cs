using System.Collections.Immutable;
using AgentLocks.Analyzers.Lifetime;
using AgentLocks.Analyzers.Validation;
using AgentLocks.Generators;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AgentLocks.Benchmarks;

/// <summary>
/// The analyzers on the synthetic project (<see cref="SyntheticProject"/>, with the generator's output, as a build
/// sees it): binding and checking the whole project with the compiler alone, with an analyzer that does nothing
/// but ask for every method's operation tree (the floor any operation-based analyzer, the SDK's included, pays),
/// and with every AgentLocks analyzer. The real-build share (<c>-p:ReportAnalyzer=true</c>) is measured by
/// <c>analyzer-cost.sh</c> next to this file, on the same project written to disk.
/// </summary>
[MemoryDiagnoser]
public class AnalyzerBenchmarks
{
    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers =
        [new HandleLifetimeAnalyzer(), new ReleaseInFinallyAnalyzer(), new AttributeValidationAnalyzer(), new LiteralValidationAnalyzer()];

    private Compilation _compilation = null!;

    [GlobalSetup]
    public void Setup()
    {
        CSharpGeneratorDriver.Create([new AgentLocksGenerator().AsSourceGenerator()], parseOptions: SyntheticProject.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(SyntheticProject.Compilation(), out _compilation, out _);

        // Valid code: every rule looks everywhere and finds nothing, so the numbers are the cost of looking.
        var problems = _compilation.WithAnalyzers(Analyzers).GetAllDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => d.Severity != DiagnosticSeverity.Hidden)
            .ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The synthetic project is not clean: " + string.Join(Environment.NewLine, problems.Take(5)));
        }
    }

    /// <summary>The compiler's own work: bind every method body and report its diagnostics.</summary>
    [Benchmark(Baseline = true)]
    public int CompilerOnly() => _compilation.Clone().GetDiagnostics().Length;

    /// <summary>The analyzer driver and the operation trees alone: an operation-block action that does nothing.</summary>
    [Benchmark]
    public async Task<int> CompilerAndEmptyOperationAnalyzer() =>
        (await _compilation.Clone().WithAnalyzers([new EmptyOperationAnalyzer()]).GetAllDiagnosticsAsync().ConfigureAwait(false)).Length;

    /// <summary>The same, with the four AgentLocks analyzers running alongside.</summary>
    [Benchmark]
    public async Task<int> CompilerAndAnalyzers() =>
        (await _compilation.Clone().WithAnalyzers(Analyzers).GetAllDiagnosticsAsync().ConfigureAwait(false)).Length;

    /// <summary>
    /// The AgentLocks analyzers' cost on the synthetic project in CPU time of this process, which the load of other
    /// processes on the machine hardly moves (a build's wall-clock times do move with it): per round, back to back,
    /// the compiler alone (bind and emit), the floor (an analyzer that only asks for the operation trees), this tree's
    /// analyzers and, when <paramref name="baselineDll"/> is given, another build of them (say, from main). Prints
    /// each round and the medians; the cost of a set of analyzers is its CPU time above the floor, over the compiler's.
    /// Also prints, per analyzer, the time the driver clocks in its callbacks (what <c>-p:ReportAnalyzer=true</c>
    /// reports in a build), which sees the analyzers' own work apart from the binding every analyzer shares.
    /// </summary>
    public static void CompareCpu(string? baselineDll, int rounds)
    {
        var benchmarks = new AnalyzerBenchmarks();
        benchmarks.Setup();
        var sets = new List<(string Name, ImmutableArray<DiagnosticAnalyzer> Analyzers)> { ("floor", [new EmptyOperationAnalyzer()]), ("current", Analyzers) };
        if (baselineDll is not null)
        {
            var reference = new AnalyzerFileReference(Path.GetFullPath(baselineDll), new IsolatedLoader());
            sets.Add(("baseline", reference.GetAnalyzers(LanguageNames.CSharp)));
        }

        var samples = new Dictionary<string, List<double>>();
        void Add(string name, double value) => (samples.TryGetValue(name, out var list) ? list : samples[name] = []).Add(value);
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), null, concurrentAnalysis: true, logAnalyzerExecutionTime: true);
        Console.WriteLine("round  " + string.Join("  ", sets.Select(s => s.Name).Prepend("compiler").Select(n => $"{n + "_cpu_s",14}"))
            + "  " + string.Join("  ", sets.Skip(1).Select(s => $"{s.Name + "_clocked_s",18}")));
        for (var round = 1; round <= rounds; round++)
        {
            var line = new List<double> { Cpu(() => benchmarks._compilation.Clone().Emit(Stream.Null)) };
            var clocked = new List<double>();
            foreach (var (name, analyzers) in sets)
            {
                var withAnalyzers = benchmarks._compilation.Clone().WithAnalyzers(analyzers, options);
                line.Add(Cpu(() => withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()));
                var total = 0.0;
                foreach (var analyzer in analyzers)
                {
                    var seconds = withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime.TotalSeconds;
                    Add($"{name} {analyzer.GetType().Name}", seconds);
                    total += seconds;
                }

                if (name != "floor")
                {
                    clocked.Add(total);
                    Add(name + " clocked", total);
                }
            }

            foreach (var (name, value) in sets.Select(s => s.Name).Prepend("compiler").Zip(line))
            {
                Add(name, value);
            }

            Console.WriteLine($"{round,5}  " + string.Join("  ", line.Select(v => $"{v,14:F3}")) + "  " + string.Join("  ", clocked.Select(v => $"{v,18:F3}")));
        }

        double Median(string name) => samples[name].Order().ElementAt(samples[name].Count / 2);
        var compiler = Median("compiler");
        var floor = Median("floor");
        Console.WriteLine($"median: compiler {compiler:F3} s CPU, floor {floor:F3} s");
        foreach (var (name, analyzers) in sets.Skip(1))
        {
            var cost = Median(name) - floor;
            Console.WriteLine($"median: {name} analyzers {Median(name):F3} s CPU, {cost:F3} s above the floor = {100 * cost / compiler:F1}% of the compiler's;"
                + $" clocked in their callbacks {Median(name + " clocked"):F3} s = {100 * Median(name + " clocked") / compiler:F1}% ("
                + string.Join(", ", analyzers.Select(a => $"{a.GetType().Name} {Median($"{name} {a.GetType().Name}"):F3}")) + ")");
        }
    }

    private static double Cpu(Action action)
    {
        var process = System.Diagnostics.Process.GetCurrentProcess();
        process.Refresh();
        var before = process.TotalProcessorTime;
        action();
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalSeconds;
    }

    /// <summary>Loads another build of the analyzers beside this one (same assembly name, its own load context).</summary>
    private sealed class IsolatedLoader : IAnalyzerAssemblyLoader
    {
        private readonly System.Runtime.Loader.AssemblyLoadContext _context = new("baseline-analyzers");

        public void AddDependencyLocation(string fullPath)
        {
        }

        public System.Reflection.Assembly LoadFromPath(string fullPath) => _context.LoadFromAssemblyPath(fullPath);
    }

    /// <summary>Writes <see cref="SyntheticProject"/> to <paramref name="directory"/> for a real <c>dotnet build</c>.</summary>
    public static void WriteProject(string directory) =>
        SyntheticProject.Write(
            directory,
            typeof(AgentId).Assembly.Location,
            typeof(AgentLocksGenerator).Assembly.Location,
            typeof(HandleLifetimeAnalyzer).Assembly.Location);

    /// <summary>Asks for every operation block and looks at nothing.</summary>
#pragma warning disable RS1001, RS2008 // handed to the driver directly: never loaded by a compiler, never shipped
    private sealed class EmptyOperationAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Never = new("FLOOR001", "Never", "Never", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Never];

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationBlockAction(static _ => { });
        }
    }
#pragma warning restore RS1001, RS2008
}
