namespace AgentLocks;

/// <summary>
/// What one decision reads and may change, so a store can load less than everything: the reservations that
/// overlap some scopes (all the ledger looks at to reserve them, or to renew or release one), one reservation
/// by id (a read-only lookup), or everything (a sweep; a status, with the history). A store may always load more.
/// </summary>
internal sealed record LedgerFocus
{
    /// <summary>Every active reservation; with the history when <see cref="History"/>.</summary>
    public static LedgerFocus Everything { get; } = new();

    /// <summary>Everything and the history: what a store that loads by focus reads for <see cref="IReservationPersistence.UpdateWithHistoryAsync"/>.</summary>
    public static LedgerFocus WithHistory { get; } = new() { History = true };

    /// <summary>Null for everything; otherwise the decision concerns only reservations that overlap one of these scopes.</summary>
    public IReadOnlyList<ScopePattern>? Scopes { get; private init; }

    /// <summary>A read-only lookup of this reservation; the decision must change nothing.</summary>
    public ReservationId? Id { get; private init; }

    /// <summary>
    /// A release of this reservation by id (<see cref="ReservationLedger.ReleaseById"/>): a store may end the row directly
    /// when it is active and live at its <c>now</c>, which is then the ledger's decision, and run the ledger only to confirm it.
    /// </summary>
    public ReservationId? Releasing { get; private init; }

    /// <summary>Whether the decision may grant, one reservation per scope, and so needs that many fencing tokens.</summary>
    public bool Grants { get; private init; }

    /// <summary>
    /// A waiter's try before it took its place in the store's queue (<see cref="IReservationPersistence.QueueAsync"/>):
    /// a store whose queue is shared may find others queued for its scopes first and then, without taking the
    /// decision's locks, only read (<see cref="ReservationLedger.OthersQueued"/>).
    /// </summary>
    public bool Newcomer { get; init; }

    /// <summary>Whether the decision needs the past history.</summary>
    public bool History { get; private init; }

    /// <summary>A reserve of <paramref name="scopes"/>, all or none: it may grant; by a <paramref name="newcomer"/> waiter (<see cref="Newcomer"/>).</summary>
    public static LedgerFocus Reserving(IEnumerable<ScopePattern> scopes, bool newcomer = false) => new() { Scopes = [.. scopes], Grants = true, Newcomer = newcomer };

    /// <summary>A renewal or release of <paramref name="scope"/> (by scope or by the id of a reservation of it).</summary>
    public static LedgerFocus Changing(ScopePattern scope) => new() { Scopes = [scope] };

    /// <summary>The release of <paramref name="reservation"/> by its id (a handle's disposal).</summary>
    public static LedgerFocus Release(Reservation reservation) => new() { Scopes = [reservation.Scope], Releasing = reservation.Id };

    /// <summary>The same decision, concerning also every other form of its scopes (absolute and relative under a repository root).</summary>
    public LedgerFocus Widened(RepositoryRoot repository)
        => Scopes is null || repository.Worktrees.Count == 0 ? this : this with { Scopes = [.. Scopes.SelectMany(repository.Forms).Distinct()] };

    /// <summary>A read-only lookup of one reservation.</summary>
    public static LedgerFocus Lookup(ReservationId id) => new() { Id = id };
}
