namespace AgentLocks;

/// <summary>Filters for <see cref="IReservationStore.GetStatusAsync"/>; both null means everything.</summary>
/// <remarks>Usage: <c>await store.GetStatusAsync(new StatusQuery { Agent = AgentId.Parse("agent-a") });</c></remarks>
public sealed record StatusQuery
{
    /// <summary>Only reservations and messages of this bead.</summary>
    /// <remarks>Usage: <c>new StatusQuery { Bead = BeadId.Parse("bb-101") }</c></remarks>
    public BeadId? Bead { get; init; }

    /// <summary>Only reservations of this agent, and messages to it.</summary>
    /// <remarks>Usage: <c>new StatusQuery { Agent = AgentId.Parse("agent-a") }</c></remarks>
    public AgentId? Agent { get; init; }
}
