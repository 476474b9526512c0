namespace AgentLocks;

/// <summary>
/// A store of scope reservations: the file store (<c>FileReservationStore</c>, the embedded default),
/// the in-memory store for tests, and the PostgreSQL store, each a <see cref="ReservationStore"/>. Every store
/// applies the same rules (TTL bounds, overlap, takeover, history, error codes); they differ only in where the state lives.
/// </summary>
/// <remarks>Usage: <c>await using var held = await store.ReserveAsync(new ReservationRequest(agent, scope, bead));</c></remarks>
public interface IReservationStore
{
    /// <summary>Makes an agent known to the store (idempotent; refreshes its record).</summary>
    /// <remarks>Usage: <c>await store.RegisterAgentAsync(AgentId.Parse("agent-a"));</c></remarks>
    Task<AgentRecord> RegisterAgentAsync(AgentId agent, AgentRegistration? registration = null, CancellationToken cancellationToken = default);

    /// <summary>Reserves a scope; throws <see cref="AgentLocksException"/> with the reason when it cannot.</summary>
    /// <remarks>Usage: <c>await using var held = await store.ReserveAsync(request, ct);</c></remarks>
    Task<ReservationHandle> ReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reserves a scope; returns a result with the error code instead of throwing for expected refusals.</summary>
    /// <remarks>Usage: <c>var result = await store.TryReserveAsync(request, ct); if (result.Handle is { } held) { await using (held) { ... } }</c></remarks>
    Task<ReserveResult> TryReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves every scope or none: in canonical order (by scope), releasing what it took when one fails.
    /// </summary>
    /// <remarks>Usage: <c>await using var all = await store.ReserveAllAsync([first, second], ct);</c></remarks>
    Task<ReservationSetHandle> ReserveAllAsync(IEnumerable<ReservationRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>Extends the agent's live reservation of <paramref name="scope"/>; only the owner may.</summary>
    /// <remarks>Usage: <c>var renewed = await store.RenewAsync(agent, scope, TimeSpan.FromMinutes(30), ct);</c></remarks>
    Task<Reservation> RenewAsync(AgentId agent, ScopePattern scope, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Releases the agent's reservation of <paramref name="scope"/>; only the owner may (<c>RELEASE_FORBIDDEN</c>).</summary>
    /// <remarks>Usage: <c>var released = await store.ReleaseAsync(agent, scope, ct);</c></remarks>
    Task<Reservation> ReleaseAsync(AgentId agent, ScopePattern scope, CancellationToken cancellationToken = default);

    /// <summary>Sweeps expired reservations into the history, then reports active ones and unacknowledged required messages.</summary>
    /// <remarks>Usage: <c>var status = await store.GetStatusAsync(new StatusQuery { Bead = bead }, ct);</c></remarks>
    Task<ReservationStatus> GetStatusAsync(StatusQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Acknowledges a message addressed to <paramref name="agent"/>, such as a takeover notice, so status stops
    /// showing it; <c>MESSAGE_NOT_FOUND</c> when there is no such message for the agent.
    /// </summary>
    /// <remarks>Usage: <c>await store.AcknowledgeMessageAsync(agent, notice.MessageId, ct);</c></remarks>
    Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken = default);
}
