using Microsoft.CodeAnalysis;

namespace AgentLocks.Generators.Tests;

/// <summary>The generator reports nothing and generates nothing for what it cannot use; the analyzers explain why.</summary>
public sealed class SkipTests
{
    [Theory]
    [InlineData("[AgentIdentity(\"plain-agent\")] public class NotPartial { }")]
    [InlineData("public class Container { [AgentIdentity(\"inner-agent\")] public partial class Inner { } }")]
    [InlineData("[AgentIdentity(null!)] public partial class NullId { }")]
    [InlineData("[WorkerIdentity(\"\")] public partial class EmptyWorker { }")]
    [InlineData("[ReservesScope(\"src/**\", TtlMinutes = -1)] public partial class NegativeTtl { }")]
    [InlineData("[ReservesScope(\"src/**\", Mode = (ReservationMode)7)] public partial class UnknownMode { }")]
    [InlineData("[ReservesScope(null!)] public partial class NullPattern { }")]
    public void UnusableDeclarationsGenerateNothingAndReportNothing(string declaration)
    {
        var (output, result) = GeneratorHarness.Run("using AgentLocks;\n" + declaration);

        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.GeneratedTrees);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void AnUnusableScopeIsSkippedAndTheRestStillGenerated()
    {
        var (output, result) = GeneratorHarness.Run("""
            using AgentLocks;

            [AgentIdentity("mixed-agent")]
            [ReservesScope("src/good/**")]
            [ReservesScope("src/bad/**", TtlMinutes = -5)]
            public partial class Mixed { }
            """);

        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.Problems());
        var source = result.Generated("Mixed.AgentLocks.g.cs");
        Assert.Contains("SrcGood", source, StringComparison.Ordinal);
        Assert.DoesNotContain("src/bad", source, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAttributeOnAStructIsIgnored()
    {
        // [AgentIdentity] targets classes; the compiler reports the misuse, the generator adds nothing to it.
        var (_, result) = GeneratorHarness.Run("using AgentLocks;\n[AgentIdentity(\"struct-agent\")] public partial struct S { }");

        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.GeneratedTrees);
    }
}
