namespace AgentLocks;

/// <summary>
/// What one decision reads and may change, so a store can load less than everything: the reservations that
/// overlap one scope (all the ledger looks at for a reserve, renew or release of that scope), one reservation
/// by id (a read-only lookup), or everything (status, sweep). A store may always load more.
/// </summary>
internal sealed record LedgerFocus
{
    /// <summary>Every active reservation; with the history when <see cref="History"/>.</summary>
    public static LedgerFocus Everything { get; } = new();

    /// <summary>Everything and the history, for a status.</summary>
    public static LedgerFocus WithHistory { get; } = new() { History = true };

    /// <summary>Null for everything; otherwise the decision concerns only reservations that overlap this scope.</summary>
    public ScopePattern? Scope { get; private init; }

    /// <summary>A read-only lookup of this reservation; the decision must change nothing.</summary>
    public ReservationId? Id { get; private init; }

    /// <summary>Whether the decision may grant, and so needs the next fencing token.</summary>
    public bool Grants { get; private init; }

    /// <summary>Whether the decision needs the past history.</summary>
    public bool History { get; private init; }

    /// <summary>A reserve of <paramref name="scope"/>: it may grant.</summary>
    public static LedgerFocus Reserving(ScopePattern scope) => new() { Scope = scope, Grants = true };

    /// <summary>A renewal or release of <paramref name="scope"/> (by scope or by the id of a reservation of it).</summary>
    public static LedgerFocus Changing(ScopePattern scope) => new() { Scope = scope };

    /// <summary>A read-only lookup of one reservation.</summary>
    public static LedgerFocus Lookup(ReservationId id) => new() { Id = id };
}
