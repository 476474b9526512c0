using System.Collections.Immutable;
using AgentLocks.Analyzers.Lifetime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AgentLocks.Analyzers.Tests;

/// <summary>
/// The analyzers look the AgentLocks types up in the assembly that declares them (the reference named AgentLocks, or
/// the compilation itself when it builds AgentLocks), not in every reference.
/// </summary>
public sealed class AgentLocksAssemblyTests
{
    private const string Leak = """
        public static class Leaky
        {
            public static async System.Threading.Tasks.Task RunAsync(AgentLocks.IReservationStore store, AgentLocks.ReservationRequest request)
            {
                var handle = await store.ReserveAsync(request);
            }
        }
        """;

    [Fact]
    public async Task AnotherAssemblyDeclaringTheSameTypeNamesDoesNotHideTheHandles()
    {
        // A public AgentLocks.ILockHandle in a second reference made Compilation.GetTypeByMetadataName ambiguous (null),
        // and the rules went silent on every leak.
        var lookalike = CSharpCompilation.Create(
            "Lookalike",
            [CSharpSyntaxTree.ParseText("namespace AgentLocks { public interface ILockHandle { } public sealed class ReserveResult { } }")],
            Verify.References.Take(Verify.References.Length - 1),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var compilation = CSharpCompilation.Create(
            "User",
            [CSharpSyntaxTree.ParseText(Leak)],
            [.. Verify.References, lookalike.ToMetadataReference()],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

        Assert.Equal(["AGL001"], await AnalyzerIds(compilation));
    }

    [Fact]
    public async Task TheRulesRunWhileAgentLocksItselfIsCompiled()
    {
        var api = """
            namespace AgentLocks
            {
                public interface ILockHandle : System.IAsyncDisposable { }
                public sealed class ReservationRequest { }
                public interface IReservationStore
                {
                    System.Threading.Tasks.ValueTask<ILockHandle> ReserveAsync(ReservationRequest request);
                }
            }
            """;
        var compilation = CSharpCompilation.Create(
            "AgentLocks",
            [CSharpSyntaxTree.ParseText(api), CSharpSyntaxTree.ParseText(Leak)],
            Verify.References.Take(Verify.References.Length - 1),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

        Assert.Equal(["AGL001"], await AnalyzerIds(compilation));
    }

    private static async Task<string[]> AnalyzerIds(Compilation compilation)
    {
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new HandleLifetimeAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        return [.. diagnostics.Select(d => d.Id)];
    }
}
