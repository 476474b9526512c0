namespace AgentSwarm.Agents;

/// <summary>The agents of the swarm, in the order they join; their scopes overlap on purpose.</summary>
internal static class AgentCatalog
{
    public static readonly string[] Roles =
    [
        "auth-refactorer", "login-fixer", "api-builder", "order-tuner",
        "core-cleaner", "docs-writer", "test-writer", "session-keeper",
    ];
}
