namespace AgentLocks;

/// <summary>The rule of registration, the same for every store: the first registration creates, later ones refresh.</summary>
internal static class AgentRegistrations
{
    /// <summary>beadboard's default role.</summary>
    public const string DefaultRole = "agent";

    public static AgentRecord Apply(AgentRecord? existing, AgentId agent, AgentRegistration? registration, DateTimeOffset now)
        => existing is null
            ? new AgentRecord
            {
                AgentId = agent,
                DisplayName = registration?.DisplayName ?? agent.Value,
                Role = registration?.Role ?? DefaultRole,
                CreatedAt = now,
                LastSeenAt = now,
            }
            : existing with
            {
                DisplayName = registration?.DisplayName ?? existing.DisplayName,
                Role = registration?.Role ?? existing.Role,
                LastSeenAt = now,
            };
}
