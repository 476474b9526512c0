namespace AgentLocks;

/// <summary>
/// What every reservation store is: <see cref="IReservationStore"/> written once over the store's persistence, so
/// the file, in-memory and PostgreSQL stores differ only in how they are built. Not for deriving outside AgentLocks:
/// a store is a persistence behind the internal seam, and the rules are the same for all.
/// </summary>
/// <remarks>Usage: <c>ReservationStore store = new FileReservationStore(root); await using var held = await store.ReserveAsync(request);</c></remarks>
public abstract class ReservationStore : IReservationStore
{
    private readonly ReservationEngine _engine;

    /// <summary>A store that hands every call to <paramref name="engine"/>.</summary>
    private protected ReservationStore(ReservationEngine engine) => _engine = engine;

    /// <inheritdoc/>
    public Task<AgentRecord> RegisterAgentAsync(AgentId agent, AgentRegistration? registration = null, CancellationToken cancellationToken = default)
        => _engine.RegisterAgentAsync(agent, registration, cancellationToken);

    /// <inheritdoc/>
    public Task<ReservationHandle> ReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default)
        => _engine.ReserveAsync(request, cancellationToken);

    /// <inheritdoc/>
    public Task<ReserveResult> TryReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default)
        => _engine.TryReserveAsync(request, cancellationToken);

    /// <inheritdoc/>
    public Task<ReservationSetHandle> ReserveAllAsync(IEnumerable<ReservationRequest> requests, CancellationToken cancellationToken = default)
        => _engine.ReserveAllAsync(requests, cancellationToken);

    /// <inheritdoc/>
    public Task<Reservation> RenewAsync(AgentId agent, ScopePattern scope, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => _engine.RenewAsync(agent, scope, ttl, cancellationToken);

    /// <inheritdoc/>
    public Task<Reservation> ReleaseAsync(AgentId agent, ScopePattern scope, CancellationToken cancellationToken = default)
        => _engine.ReleaseAsync(agent, scope, cancellationToken);

    /// <inheritdoc/>
    public Task<ReservationStatus> GetStatusAsync(StatusQuery? query = null, CancellationToken cancellationToken = default)
        => _engine.GetStatusAsync(query, cancellationToken);

    /// <inheritdoc/>
    public Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken = default)
        => _engine.AcknowledgeMessageAsync(agent, messageId, cancellationToken);

    /// <summary>
    /// The reservations whose lease ran out and that no status has swept yet; with <paramref name="sweep"/>, exactly
    /// those are moved into the history as expired in the same decision (their holders get a notice). For <c>doctor</c>.
    /// </summary>
    internal Task<IReadOnlyList<Reservation>> ExpiredAsync(bool sweep, CancellationToken cancellationToken)
        => _engine.ExpiredAsync(sweep, cancellationToken);
}
