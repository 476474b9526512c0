namespace AgentLocks;

/// <summary>Where a reservation is in its life; written as beadboard's lowercase names.</summary>
/// <remarks>Usage: <c>if (reservation.State == ReservationState.Active) { ... }</c></remarks>
public enum ReservationState
{
    /// <summary><c>active</c>: held until <c>expires_at</c>.</summary>
    Active,

    /// <summary><c>released</c>: given up by its owner or by force.</summary>
    Released,

    /// <summary><c>expired</c>: its lease ran out (swept or taken over).</summary>
    Expired,
}
