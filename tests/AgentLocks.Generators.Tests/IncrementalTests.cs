using AgentLocks.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentLocks.Generators.Tests;

/// <summary>The incremental generators cookbook's rules: cacheable models, tracked steps, and precise invalidation.</summary>
public sealed class IncrementalTests
{
    private const string Alpha = """
        using AgentLocks;

        namespace Shop;

        [AgentIdentity("alpha-agent")]
        [WorkerIdentity("alpha-worker")]
        [ReservesScope("src/alpha/**", TtlMinutes = 30)]
        public partial class Alpha
        {
            public int Work() => 1;
        }
        """;

    private const string Beta = """
        using AgentLocks;

        namespace Shop;

        [AgentIdentity("beta-agent")]
        [ReservesScope("src/beta/**", Mode = ReservationMode.Shared)]
        public partial class Beta
        {
        }
        """;

    private const string Plain = """
        namespace Shop;

        public static class Plain
        {
            public static int Answer() => 42;
        }
        """;

    private static readonly IncrementalStepRunReason[] CachedOrUnchanged = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void UnrelatedEditsLeaveEveryTrackedStepCachedOrUnchanged()
    {
        var (driver, compilation) = FirstRun();

        // One edit inside an annotated file (its attributes are re-read but equal), one in an unrelated file, one new file.
        var edited = compilation
            .ReplaceSyntaxTree(compilation.SyntaxTrees.ElementAt(0), Reparse(compilation.SyntaxTrees.ElementAt(0), Alpha.Replace("=> 1;", "=> 2;", StringComparison.Ordinal)))
            .ReplaceSyntaxTree(compilation.SyntaxTrees.ElementAt(2), Reparse(compilation.SyntaxTrees.ElementAt(2), Plain.Replace("42", "43", StringComparison.Ordinal)))
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Shop; public static class Added { }", GeneratorHarness.ParseOptions()));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var name in TrackingNames.All)
        {
            Assert.True(second.TrackedSteps.ContainsKey(name), $"step {name} was not tracked");
            var reasons = second.TrackedSteps[name].SelectMany(step => step.Outputs).Select(output => output.Reason).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, reason => Assert.Contains(reason, CachedOrUnchanged));
        }

        // The file that was re-read must really have gone through the transform again and been found equal.
        Assert.Contains(IncrementalStepRunReason.Unchanged, second.TrackedSteps[TrackingNames.AgentIdentity].SelectMany(s => s.Outputs).Select(o => o.Reason));
        Assert.All(second.TrackedOutputSteps.SelectMany(pair => pair.Value).SelectMany(step => step.Outputs),
            output => Assert.Contains(output.Reason, CachedOrUnchanged));
    }

    [Fact]
    public void StepOutputsHoldNoSymbolsSyntaxCompilationsOrLocations()
    {
        var (driver, compilation) = FirstRun();
        var first = driver.GetRunResult().Results.Single();
        var second = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Added { }", GeneratorHarness.ParseOptions())))
            .GetRunResult().Results.Single();

        foreach (var run in new[] { first, second })
        {
            foreach (var name in TrackingNames.All)
            {
                var outputs = run.TrackedSteps[name].SelectMany(step => step.Outputs).Select(output => output.Value).ToList();
                Assert.NotEmpty(outputs);
                Assert.Empty(ModelGraph.FindForbidden(outputs));
            }

            // What the source outputs were fed with, too.
            var sourceOutputInputs = run.TrackedOutputSteps.SelectMany(pair => pair.Value).SelectMany(step => step.Inputs).Select(input => input.Source.Outputs[input.OutputIndex].Value).ToList();
            Assert.NotEmpty(sourceOutputInputs);
            Assert.Empty(ModelGraph.FindForbidden(sourceOutputInputs));
        }
    }

    [Fact]
    public void TheGraphWalkFindsWhatItLooksFor()
    {
        // Guards the test above: a model that did hold a symbol, location or tree must be caught, however deep.
        var compilation = GeneratorHarness.Compile(Alpha);
        var symbol = compilation.GetTypeByMetadataName("Shop.Alpha")!;
        var nested = new { Name = "x", Inner = new[] { (1, (object)symbol.Locations[0]) }, Tree = compilation.SyntaxTrees.First() };

        Assert.Equal(2, ModelGraph.FindForbidden(nested).Count);
        Assert.Single(ModelGraph.FindForbidden(new List<object> { "ok", compilation }));
    }

    [Fact]
    public void EditingOneAttributeArgumentRegeneratesOnlyThatClass()
    {
        var (driver, compilation) = FirstRun();
        var before = driver.GetRunResult().Results.Single();
        var tree = compilation.SyntaxTrees.ElementAt(0);
        var edited = compilation.ReplaceSyntaxTree(tree, Reparse(tree, Alpha.Replace("TtlMinutes = 30", "TtlMinutes = 45", StringComparison.Ordinal)));

        var after = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var classOutputs = after.TrackedSteps[TrackingNames.Class].SelectMany(step => step.Outputs).ToList();
        var modified = Assert.Single(classOutputs, output => output.Reason != IncrementalStepRunReason.Cached && output.Reason != IncrementalStepRunReason.Unchanged);
        Assert.Equal(IncrementalStepRunReason.Modified, modified.Reason);
        Assert.Contains("Shop.Alpha", modified.Value.ToString(), StringComparison.Ordinal);

        string Source(GeneratorRunResult run, string hint) => run.GeneratedSources.Single(s => s.HintName == hint).SourceText.ToString();
        Assert.Equal(Source(before, "Shop.Beta.AgentLocks.g.cs"), Source(after, "Shop.Beta.AgentLocks.g.cs"));
        Assert.NotEqual(Source(before, "Shop.Alpha.AgentLocks.g.cs"), Source(after, "Shop.Alpha.AgentLocks.g.cs"));
        Assert.Contains("global::System.TimeSpan.FromMinutes(45)", Source(after, "Shop.Alpha.AgentLocks.g.cs"), StringComparison.Ordinal);

        // The catalogue lists every TTL, so it is the one other output that changes.
        Assert.Contains("FromMinutes(45)", Source(after, SourceEmitter.CatalogHintName), StringComparison.Ordinal);
    }

    private static (GeneratorDriver Driver, Compilation Compilation) FirstRun()
    {
        var compilation = GeneratorHarness.Compile(Alpha, Beta, Plain);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var first = driver.GetRunResult();
        Assert.Empty(first.Diagnostics);
        Assert.Equal(3, first.GeneratedTrees.Length);
        return (driver, compilation);
    }

    private static SyntaxTree Reparse(SyntaxTree old, string text) =>
        old.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text));
}
