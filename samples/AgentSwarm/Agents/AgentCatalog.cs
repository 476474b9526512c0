using AgentLocks.Generated;

namespace AgentSwarm.Agents;

/// <summary>The agents of the swarm, in the order they join, and how to run each one.</summary>
internal static class AgentCatalog
{
    private static readonly (string Role, Func<AgentContext, CancellationToken, Task<int>> Run)[] Agents =
    [
        ("auth-refactorer", AgentProcess.RunAsync<AuthRefactorer>),
        ("login-fixer", AgentProcess.RunAsync<LoginFixer>),
        ("api-builder", AgentProcess.RunAsync<ApiBuilder>),
        ("order-tuner", AgentProcess.RunAsync<OrderTuner>),
        ("core-cleaner", AgentProcess.RunAsync<CoreCleaner>),
        ("docs-writer", AgentProcess.RunAsync<DocsWriter>),
        ("test-writer", AgentProcess.RunAsync<TestWriter>),
        ("session-keeper", AgentProcess.RunAsync<SessionKeeper>),
    ];

    public static IEnumerable<string> Roles => Agents.Select(a => a.Role);

    public static Task<int> RunAsync(AgentContext context, CancellationToken cancellationToken)
        => Agents.Single(a => a.Role == context.Options.Role).Run(context, cancellationToken);

    /// <summary>The declared scopes of an agent class, from the generator's catalogue of this assembly.</summary>
    public static IReadOnlyList<AgentLocksCatalog.ScopeEntry> ScopesOf<TAgent>()
        => [.. AgentLocksCatalog.Scopes.Where(s => s.TypeName == typeof(TAgent).FullName)];
}
