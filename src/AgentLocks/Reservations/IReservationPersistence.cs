namespace AgentLocks;

/// <summary>
/// The persistence seam. A store implements only this; <see cref="ReservationEngine"/> turns it into an
/// <see cref="IReservationStore"/> with every rule taken from <see cref="ReservationLedger"/>.
/// <see cref="UpdateAsync{T}(LedgerFocus, Func{ReservationLedger, T}, CancellationToken)"/> is one atomic "read state, decide with the core, write changes": the file store
/// runs it under beadboard's <c>reservations/.lock</c>, the in-memory store under a lock, and PostgreSQL in one
/// transaction serialised with every decision about overlapping scopes, with the server's <c>now()</c> as the ledger's <c>now</c>. Implementations write only
/// when <see cref="ReservationLedger.Changed"/>, and write <see cref="ReservationLedger.LastFencingToken"/> so
/// tokens keep growing across restarts.
/// </summary>
internal interface IReservationPersistence
{
    /// <summary>The clock that drives lease monitors (not decisions: those use the ledger's <c>now</c>).</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>
    /// Reads the state a decision about <paramref name="focus"/> needs (a store that cannot load less loads
    /// everything), runs <paramref name="decide"/>, persists its changes.
    /// </summary>
    Task<T> UpdateAsync<T>(LedgerFocus focus, Func<ReservationLedger, T> decide, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="UpdateAsync{T}(LedgerFocus, Func{ReservationLedger, T}, CancellationToken)"/> over everything, for
    /// a decision that also reads the past (a status): <paramref name="decide"/> gets the history read in the same step.
    /// </summary>
    Task<T> UpdateWithHistoryAsync<T>(Func<ReservationLedger, IReadOnlyList<ReservationHistoryEntry>, T> decide, CancellationToken cancellationToken);

    /// <summary>Creates or refreshes an agent's record atomically; <paramref name="decide"/> gets the existing record and <c>now</c>.</summary>
    Task<AgentRecord> UpsertAgentAsync(AgentId agent, Func<AgentRecord?, DateTimeOffset, AgentRecord> decide, CancellationToken cancellationToken);

    /// <summary>
    /// Takes a refused waiter's place in the store's own queue for <paramref name="scopes"/> (relative to the
    /// repository root, so every form of a scope queues alike), shared by every store
    /// instance and process: completes once each waiter that queued earlier for them has left, so only the head
    /// tries again on a change; disposing the result leaves the queue. Null: the store has no such queue, and
    /// waiters are ordered only among those of one store instance. Before it waits behind others it runs
    /// <paramref name="behind"/> (the waiter stops watching for changes meanwhile).
    /// </summary>
    Task<IAsyncDisposable?> QueueAsync(IReadOnlyList<ScopePattern> scopes, Func<ValueTask> behind, CancellationToken cancellationToken)
        => Task.FromResult<IAsyncDisposable?>(null);

    /// <summary>
    /// Cancelled when the connection the store's handles depend on is lost (PostgreSQL); a handle granted while it
    /// is read reports <c>HandleLost</c> then. Stores without such a connection never cancel it.
    /// </summary>
    CancellationToken ConnectionLost => CancellationToken.None;

    /// <summary>The agents' messages (beadboard's <c>messages/index</c>); stores without messages return none.</summary>
    Task<IReadOnlyList<AgentMessage>> ReadMessagesAsync(CancellationToken cancellationToken);

    /// <summary>Delivers messages (takeover notices) to their recipients' inboxes.</summary>
    Task WriteMessagesAsync(IReadOnlyList<AgentMessage> messages, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the message acknowledged (beadboard's <c>acked</c>); only its recipient may. <c>MESSAGE_NOT_FOUND</c>
    /// when there is no such message for <paramref name="agent"/>.
    /// </summary>
    Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken);
}
