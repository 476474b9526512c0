using System.Collections.Immutable;
using AgentLocks.Generators;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace AgentLocks.Benchmarks;

/// <summary>
/// The source generator on the synthetic project (<see cref="SyntheticProject"/>: 1,000 annotated classes, one file
/// each, plus one unrelated file): a first run, and a run after an unrelated edit on a driver that already ran,
/// which is what the IDE pays on every keystroke. Each run gets a fresh clone of the compilation, so attribute
/// binding is not cached.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warm = null!;
    private GeneratorDriver _warmFloor = null!;

    [GlobalSetup(Targets = [nameof(FirstRun), nameof(AfterUnrelatedEdit)])]
    public void Setup()
    {
        _compilation = SyntheticProject.Compilation();
        var unrelated = _compilation.SyntaxTrees.Single(t => t.FilePath == SyntheticProject.UnrelatedPath);
        _edited = _compilation.ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(SourceText.From(SyntheticProject.Unrelated(43))));
        _warm = CreateDriver().RunGenerators(_compilation.Clone());

        if (_warm.GetRunResult().GeneratedTrees.Length != SyntheticProject.Files + 1)
        {
            throw new InvalidOperationException("The synthetic project did not generate one file per class plus the catalogue.");
        }
    }

    /// <summary>A cold run: a new driver over the whole project.</summary>
    [Benchmark(Baseline = true)]
    public ImmutableArray<SyntaxTree> FirstRun() => CreateDriver().RunGenerators(_compilation.Clone()).GetRunResult().GeneratedTrees;

    /// <summary>An incremental run after an edit to a file without attributes.</summary>
    [Benchmark]
    public ImmutableArray<SyntaxTree> AfterUnrelatedEdit() => _warm.RunGenerators(_edited.Clone()).GetRunResult().GeneratedTrees;

    /// <summary>
    /// The floor under the incremental run: Roslyn's own attribute matching for the three attributes with a
    /// transform that reads nothing, after the same unrelated edit.
    /// </summary>
    [Benchmark]
    public ImmutableArray<SyntaxTree> AttributeLookupFloor() => _warmFloor.RunGenerators(_edited.Clone()).GetRunResult().GeneratedTrees;

    [GlobalSetup(Target = nameof(AttributeLookupFloor))]
    public void SetupFloor()
    {
        Setup();
        _warmFloor = CSharpGeneratorDriver.Create([new LookupOnlyGenerator().AsSourceGenerator()], parseOptions: SyntheticProject.ParseOptions)
            .RunGenerators(_compilation.Clone());
    }

    private static CSharpGeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create([new AgentLocksGenerator().AsSourceGenerator()], parseOptions: SyntheticProject.ParseOptions);

    /// <summary>Matches the attributes like the real generator and produces nothing.</summary>
    private sealed class LookupOnlyGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            foreach (var attribute in new[] { "AgentLocks.AgentIdentityAttribute", "AgentLocks.WorkerIdentityAttribute", "AgentLocks.ReservesScopeAttribute" })
            {
                var matches = context.SyntaxProvider.ForAttributeWithMetadataName(attribute, static (_, _) => true, static (_, _) => 0).Collect();
                context.RegisterSourceOutput(matches, static (_, _) => { });
            }
        }
    }
}
