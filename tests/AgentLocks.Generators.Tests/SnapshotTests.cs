namespace AgentLocks.Generators.Tests;

/// <summary>The generated source for each supported shape, compared with its <c>*.verified.cs</c> snapshot.</summary>
public sealed class SnapshotTests
{
    [Fact]
    public void AcceptanceExample() => Snapshot.Verify(Generate("AuthRefactorer.AgentLocks.g.cs", """
        using AgentLocks;

        [AgentIdentity("auth-refactorer")]
        [ReservesScope("src/auth/**")]
        [ReservesScope("docs/auth.md", Mode = ReservationMode.Shared, TtlMinutes = 30)]
        public partial class AuthRefactorer
        {
        }
        """));

    [Fact]
    public void WorkerInFileScopedNamespace() => Snapshot.Verify(Generate("My.Workers.Polecat.AgentLocks.g.cs", """
        using AgentLocks;

        namespace My.Workers;

        [WorkerIdentity("polecat-1")]
        internal sealed partial class Polecat
        {
        }
        """));

    [Fact]
    public void NestedGenericClass() => Snapshot.Verify(Generate("My.Namespace.Outer`1.Inner`1.AgentLocks.g.cs", """
        using AgentLocks;

        namespace My.Namespace
        {
            public static partial class Holder
            {
            }

            public partial class Outer<TOuter>
            {
                [AgentIdentity("inner-agent")]
                [WorkerIdentity("inner.worker_1")]
                [ReservesScope("src/inner/**", TtlMinutes = 15)]
                private sealed partial class Inner<T> where T : class, new()
                {
                }
            }
        }
        """));

    [Fact]
    public void NestedInStructRecordAndInterface() => Snapshot.Verify(Generate("Hosts.IHost`1.Shape.Agent.AgentLocks.g.cs", """
        using AgentLocks;

        namespace Hosts;

        public partial interface IHost<T>
        {
            public readonly partial record struct Shape(int X)
            {
                [AgentIdentity("nested-agent")]
                [ReservesScope("deploy:prod", Mode = ReservationMode.Shared)]
                public partial class Agent
                {
                }
            }
        }
        """));

    [Fact]
    public void Record() => Snapshot.Verify(Generate("Reviews.ReviewAgent.AgentLocks.g.cs", """
        using AgentLocks;

        namespace Reviews;

        [AgentIdentity("review-agent")]
        [ReservesScope("docs/**/*.md", Name = "Docs")]
        public sealed partial record ReviewAgent(string Reviewer);
        """));

    [Fact]
    public void SeveralPartialDeclarations() => Snapshot.Verify(Generate(
        "Split.SplitAgent.AgentLocks.g.cs",
        """
        using AgentLocks;

        namespace Split;

        [AgentIdentity("split-agent")]
        [ReservesScope("src/one/**")]
        public partial class SplitAgent
        {
        }
        """,
        """
        using AgentLocks;

        namespace Split;

        [ReservesScope("src/two/**", Mode = ReservationMode.Shared)]
        [WorkerIdentity("split-worker")]
        partial class SplitAgent
        {
        }
        """,
        """
        namespace Split;

        partial class SplitAgent
        {
            public int Unannotated { get; set; }
        }
        """));

    [Fact]
    public void MemberNames() => Snapshot.Verify(Generate("Naming.Names.AgentLocks.g.cs", """
        using AgentLocks;

        namespace Naming;

        [AgentIdentity("naming-agent")]
        [ReservesScope("src/*.cs")]
        [ReservesScope("src/**/*.cs")]
        [ReservesScope("lib/x", Name = "SrcCs")]
        [ReservesScope("lib/keyword", Name = "class")]
        [ReservesScope("lib/not-an-identifier", Name = "not an identifier")]
        [ReservesScope("**")]
        [ReservesScope("2024/notes")]
        [ReservesScope("scopes")]
        [ReservesScope("src/*.cs", Mode = ReservationMode.Shared)]
        [ReservesScope("docs/<a&b>.md")]
        public partial class Names
        {
        }
        """));

    [Fact]
    public void ScopesWithoutAgent() => Snapshot.Verify(Generate("Library.SharedScopes.AgentLocks.g.cs", """
        using AgentLocks;

        namespace Library;

        [ReservesScope("src/shared/**")]
        public static partial class SharedScopes
        {
        }
        """));

    [Fact]
    public void Catalog() => Snapshot.Verify(Generate(
        "AgentLocks.Generated.AgentLocksCatalog.g.cs",
        """
        using AgentLocks;

        [AgentIdentity("zeta-agent")]
        [ReservesScope("src/zeta/**", TtlMinutes = 45)]
        public partial class Zeta
        {
        }

        namespace Alpha
        {
            [WorkerIdentity("alpha-worker")]
            [ReservesScope("docs/alpha.md", Mode = ReservationMode.Shared, Name = "AlphaDocs")]
            internal partial class AlphaWorker
            {
                [AgentIdentity("alpha-inner")]
                private partial class Inner<T>
                {
                }
            }
        }
        """));

    /// <summary>Runs the generator, asserts the result compiles with zero diagnostics, and returns one generated file.</summary>
    private static string Generate(string hintName, params string[] sources)
    {
        var (output, result) = GeneratorHarness.Run(sources);
        Assert.Empty(output.Problems());
        return result.Generated(hintName);
    }
}
