namespace AgentLocks;

/// <summary>How a reservation shares its scope.</summary>
/// <remarks>Usage: <c>new ReservationRequest(agent, scope, bead, ttl) { Mode = ReservationMode.Shared }</c></remarks>
public enum ReservationMode
{
    /// <summary>No other agent may hold an overlapping scope (the default).</summary>
    Exclusive,

    /// <summary>Coexists with other shared reservations of overlapping scopes; conflicts with exclusive ones.</summary>
    Shared,
}
