using System.Collections.Immutable;
using System.Globalization;
using AgentLocks.Generators;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentLocks.Benchmarks;

/// <summary>
/// The source generator on a synthetic project of 1,000 annotated classes (one file each, plus one unrelated
/// file): a first run, and a run after an unrelated edit on a driver that already ran, which is what the IDE
/// pays on every keystroke. Each run gets a fresh clone of the compilation, so attribute binding is not cached.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Classes = 1_000;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warm = null!;

    [GlobalSetup]
    public void Setup()
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetDirectoryName(path) == frameworkDirectory)
            .Append(typeof(AgentId).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path));

        var trees = Enumerable.Range(0, Classes).Select(i => CSharpSyntaxTree.ParseText(
            string.Create(CultureInfo.InvariantCulture, $$"""
                using AgentLocks;

                namespace Synthetic.Area{{i % 20}};

                [AgentIdentity("agent-{{i}}")]
                [ReservesScope("src/area{{i % 20}}/module{{i}}/**")]
                [ReservesScope("docs/module{{i}}.md", Mode = ReservationMode.Shared, TtlMinutes = 30)]
                public partial class Agent{{i}}
                {
                    public int Work() => {{i}};
                }
                """),
            ParseOptions,
            path: $"Agent{i}.cs"));
        var unrelated = CSharpSyntaxTree.ParseText("namespace Synthetic; public static class Unrelated { public static int Answer() => 42; }", ParseOptions, path: "Unrelated.cs");

        _compilation = CSharpCompilation.Create(
            "Synthetic",
            trees.Append(unrelated),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        _edited = _compilation.ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(
            Microsoft.CodeAnalysis.Text.SourceText.From("namespace Synthetic; public static class Unrelated { public static int Answer() => 43; }")));
        _warm = CreateDriver().RunGenerators(_compilation.Clone());

        if (_warm.GetRunResult().GeneratedTrees.Length != Classes + 1)
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

    private static CSharpGeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create([new AgentLocksGenerator().AsSourceGenerator()], parseOptions: ParseOptions);
}
