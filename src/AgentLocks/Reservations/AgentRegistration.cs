namespace AgentLocks;

/// <summary>Optional details for <see cref="IReservationStore.RegisterAgentAsync"/>.</summary>
/// <param name="Role">What the agent does, such as <c>backend</c>.</param>
/// <param name="DisplayName">A name for people; defaults to the agent id.</param>
/// <remarks>Usage: <c>await store.RegisterAgentAsync(agent, new AgentRegistration("backend", "Agent B"));</c></remarks>
public sealed record AgentRegistration(string? Role = null, string? DisplayName = null);
