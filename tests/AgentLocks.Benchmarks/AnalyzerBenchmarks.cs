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
