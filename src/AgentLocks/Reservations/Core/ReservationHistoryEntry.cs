namespace AgentLocks;

/// <summary>What happened to a reservation; one history line each.</summary>
internal enum ReservationEvent
{
    /// <summary>Granted.</summary>
    Reserved,

    /// <summary>Its lease was extended (also a same-agent re-reserve of the same scope).</summary>
    Renewed,

    /// <summary>Given up by its owner (or its handle).</summary>
    Released,

    /// <summary>Its lease ran out and it was swept.</summary>
    Expired,

    /// <summary>Its lease ran out and another agent took it over on request.</summary>
    TakenOver,
}

/// <summary>
/// One line of <c>reservations/history.jsonl</c>: the reservation as it was after the transition (beadboard's
/// fields, so beadboard reads it) plus the event, when it happened, and for a takeover the new owner and reservation.
/// Stores may derive their row changes from these entries: Reserved inserts, Renewed updates, the rest remove.
/// </summary>
internal sealed record ReservationHistoryEntry(
    ReservationEvent Event,
    Reservation Reservation,
    DateTimeOffset? At,
    AgentId? TakenOverBy = null,
    ReservationId? Successor = null);
