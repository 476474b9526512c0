using AgentLocks.Generators.TypedIds;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentLocks.Generators.Tests;

/// <summary>
/// The library's typed-ID template (<c>[TypedId]</c>). The library compiling with it is the proof that the members
/// fit (its IDs are internal-facing, so an in-memory compilation here cannot reach <c>ITypedId</c>); these tests
/// pin the text and what the template derives from the declaration.
/// </summary>
public sealed class TypedIdTests
{
    // The attribute is internal to the library, so the subject declares its own, as the generator matches by name.
    private const string Attribute = """
        namespace AgentLocks
        {
            internal sealed class TypedIdAttribute : System.Attribute
            {
                public string? Example { get; init; }

                public string? Kind { get; init; }
            }
        }
        """;

    [Fact]
    public void Snapshot() => Tests.Snapshot.Verify(Generate("AgentLocks.OrderLineId.TypedId.g.cs", """
        namespace AgentLocks;

        [TypedId(Example = "line \"7\" <a&b>")]
        public readonly partial struct OrderLineId
        {
            private static string? Validate(ref string text) => null;
        }
        """));

    [Theory]
    [InlineData("AgentId", "agent id")]
    [InlineData("ReservationId", "reservation id")]
    [InlineData("Id", "id")]
    public void KindNameSplitsTheTypeNameIntoLowercaseWords(string typeName, string kind) =>
        Assert.Equal(kind, TypedIdGenerator.KindName(typeName));

    [Fact]
    public void AKindGivenInTheAttributeNamesTheIdInErrors()
    {
        var generated = Generate("AgentLocks.ScopePattern.TypedId.g.cs", """
            namespace AgentLocks;

            [TypedId(Example = "src/**", Kind = "scope")]
            public readonly partial struct ScopePattern;
            """);
        Assert.Contains("KindName => \"scope\";", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void NestedStructsAndStructsWithoutAnExampleGetNothing()
    {
        var result = Run("""
            namespace AgentLocks;

            public partial class Outer
            {
                [TypedId(Example = "x")]
                public readonly partial struct NestedId;
            }

            [TypedId]
            public readonly partial struct NoExampleId;
            """);
        Assert.Empty(result.Results.Single().GeneratedSources);
    }

    private static string Generate(string hintName, string source) => Run(source).Generated(hintName);

    private static GeneratorDriverRunResult Run(string source)
    {
        var compilation = GeneratorHarness.Compile(Attribute, source);
        var result = CSharpGeneratorDriver.Create([new TypedIdGenerator().AsSourceGenerator()], parseOptions: GeneratorHarness.ParseOptions())
            .RunGenerators(compilation)
            .GetRunResult();
        Assert.Empty(result.Diagnostics);
        return result;
    }
}
