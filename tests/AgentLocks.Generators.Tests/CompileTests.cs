using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentLocks.Generators.Tests;

/// <summary>The generated code compiles without a single diagnostic, emits, and behaves as documented when run.</summary>
public sealed class CompileTests
{
    // Every shape at once, in block namespaces so the same text is valid C# 9.
    private const string AllShapes = """
        using AgentLocks;

        [AgentIdentity("auth-refactorer")]
        [ReservesScope("src/auth/**")]
        [ReservesScope("docs/auth.md", Mode = ReservationMode.Shared, TtlMinutes = 30)]
        public partial class AuthRefactorer
        {
        }

        namespace My.Namespace
        {
            public partial class Outer<TOuter> where TOuter : struct
            {
                [AgentIdentity("inner-agent")]
                [WorkerIdentity("inner-worker")]
                [ReservesScope("src/inner/**", Name = "Inner")]
                internal sealed partial class Inner<T> where T : class
                {
                }
            }

            public partial struct Host
            {
                [ReservesScope("deploy:prod")]
                private static partial class OnlyScopes
                {
                }
            }

            [WorkerIdentity("record-worker")]
            public sealed partial record RecordWorker(int Id);
        }
        """;

    [Theory]
    [InlineData(LanguageVersion.Latest)]
    [InlineData(LanguageVersion.CSharp9)]
    public void EveryShapeCompilesWithZeroDiagnosticsAndEmits(LanguageVersion version)
    {
        var input = GeneratorHarness.Compile([AllShapes], version: version);
        GeneratorHarness.CreateDriver(version).RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        Assert.Equal(5, output.SyntaxTrees.Count() - input.SyntaxTrees.Length);
        Assert.Empty(output.Problems());
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
    }

    [Fact]
    public async Task GeneratedMembersCarryTheDeclaredValues()
    {
        var assembly = Load(AllShapes);
        var agent = assembly.GetType("AuthRefactorer")!;

        Assert.Equal(AgentId.Parse("auth-refactorer"), agent.GetProperty("AgentId")!.GetValue(null));
        var scopes = agent.GetNestedType("Scopes")!;
        Assert.Equal(ScopePattern.Parse("src/auth/**"), scopes.GetProperty("SrcAuth")!.GetValue(null));
        Assert.Equal(ScopePattern.Parse("docs/auth.md"), scopes.GetProperty("DocsAuthMd")!.GetValue(null));

        var inner = assembly.GetType("My.Namespace.Outer`1+Inner`1")!.MakeGenericType(typeof(int), typeof(string));
        Assert.Equal(WorkerId.Parse("inner-worker"), inner.GetProperty("WorkerId")!.GetValue(null));
        Assert.Equal(ScopePattern.Parse("src/inner/**"), inner.GetNestedType("Scopes")!.MakeGenericType(typeof(int), typeof(string)).GetProperty("Inner")!.GetValue(null));

        // Scopes without an agent have nothing to reserve for, so no ReserveScopesAsync.
        Assert.Null(assembly.GetType("My.Namespace.Host+OnlyScopes")!.GetMethod("ReserveScopesAsync"));

        var store = new RecordingStore();
        using var cts = new CancellationTokenSource();
        var reserve = agent.GetMethod("ReserveScopesAsync", [typeof(IReservationStore), typeof(BeadId), typeof(CancellationToken)])!;
        await (Task)reserve.Invoke(null, [store, BeadId.Parse("bd-42"), cts.Token])!;

        Assert.Equal(cts.Token, store.Token);
        Assert.Collection(
            store.Requests,
            r => Assert.Equal(new ReservationRequest(AgentId.Parse("auth-refactorer"), ScopePattern.Parse("src/auth/**"), BeadId.Parse("bd-42"), null), r),
            r => Assert.Equal(
                new ReservationRequest(AgentId.Parse("auth-refactorer"), ScopePattern.Parse("docs/auth.md"), BeadId.Parse("bd-42"), TimeSpan.FromMinutes(30)) { Mode = ReservationMode.Shared },
                r));

        var thrown = Assert.Throws<TargetInvocationException>(() => reserve.Invoke(null, [null, BeadId.Parse("bd-42"), CancellationToken.None]));
        Assert.Equal("store", Assert.IsType<ArgumentNullException>(thrown.InnerException).ParamName);

        // The overload with a wait passes it on with every request; the one without asks for none.
        Assert.All(store.Requests, r => Assert.Equal(TimeSpan.Zero, r.Wait));
        store.Requests.Clear();
        var reserveWaiting = agent.GetMethod("ReserveScopesAsync", [typeof(IReservationStore), typeof(BeadId), typeof(TimeSpan), typeof(CancellationToken)])!;
        await (Task)reserveWaiting.Invoke(null, [store, BeadId.Parse("bd-42"), TimeSpan.FromMinutes(3), cts.Token])!;
        Assert.Equal(2, store.Requests.Count);
        Assert.All(store.Requests, r => Assert.Equal(TimeSpan.FromMinutes(3), r.Wait));
    }

    [Fact]
    public void TheCatalogueListsEveryAgentWorkerAndScope()
    {
        var catalog = Load(AllShapes).GetType("AgentLocks.Generated.AgentLocksCatalog")!;
        string[] Entries(string name) =>
            [.. ((System.Collections.IEnumerable)catalog.GetProperty(name)!.GetValue(null)!).Cast<object>().Select(e => e.ToString()!)];

        Assert.Equal(
            [
                "AgentEntry { TypeName = AuthRefactorer, Agent = auth-refactorer }",
                "AgentEntry { TypeName = My.Namespace.Outer<TOuter>.Inner<T>, Agent = inner-agent }",
            ],
            Entries("Agents"));
        Assert.Equal(
            [
                "WorkerEntry { TypeName = My.Namespace.Outer<TOuter>.Inner<T>, Worker = inner-worker }",
                "WorkerEntry { TypeName = My.Namespace.RecordWorker, Worker = record-worker }",
            ],
            Entries("Workers"));
        Assert.Equal(
            [
                "ScopeEntry { TypeName = AuthRefactorer, Agent = auth-refactorer, MemberName = SrcAuth, Scope = src/auth/**, Mode = Exclusive, Ttl =  }",
                "ScopeEntry { TypeName = AuthRefactorer, Agent = auth-refactorer, MemberName = DocsAuthMd, Scope = docs/auth.md, Mode = Shared, Ttl = 00:30:00 }",
                "ScopeEntry { TypeName = My.Namespace.Host.OnlyScopes, Agent = , MemberName = DeployProd, Scope = deploy:prod, Mode = Exclusive, Ttl =  }",
                "ScopeEntry { TypeName = My.Namespace.Outer<TOuter>.Inner<T>, Agent = inner-agent, MemberName = Inner, Scope = src/inner/**, Mode = Exclusive, Ttl =  }",
            ],
            Entries("Scopes"));
    }

    private static Assembly Load(string source)
    {
        var (output, _) = GeneratorHarness.Run(source);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        image.Position = 0;

        // A collectible context of its own; AgentLocks itself resolves to the copy the tests already loaded.
        return new AssemblyLoadContext(null, isCollectible: true).LoadFromStream(image);
    }

    /// <summary>Records what a generated <c>ReserveScopesAsync</c> asks for.</summary>
    private sealed class RecordingStore : IReservationStore
    {
        public List<ReservationRequest> Requests { get; } = [];

        public CancellationToken Token { get; private set; }

        public Task<ReservationSetHandle> ReserveAllAsync(IEnumerable<ReservationRequest> requests, CancellationToken cancellationToken = default)
        {
            Requests.AddRange(requests);
            Token = cancellationToken;

            // The set handle cannot be built outside the library; the test only needs the requests.
            return Task.FromResult<ReservationSetHandle>(null!);
        }

        public Task<AgentRecord> RegisterAgentAsync(AgentId agent, AgentRegistration? registration = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ReservationHandle> ReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ReserveResult> TryReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Reservation> RenewAsync(AgentId agent, ScopePattern scope, TimeSpan? ttl = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Reservation> ReleaseAsync(AgentId agent, ScopePattern scope, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ReservationStatus> GetStatusAsync(StatusQuery? query = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
