namespace AgentLocks;

/// <summary>
/// <see cref="IReservationStore"/> written once over a persistence seam: refusals come from the core as data,
/// handles renew and release by reservation id, so a holder that lost its lease cannot touch the next holder's.
/// Scopes compare by their relative form under <paramref name="repository"/>.
/// </summary>
internal sealed class ReservationEngine(IReservationPersistence persistence, ReservationPolicy policy, RepositoryRoot? repository = null) : IReservationStore, IReservationLeaseOwner
{
    public ReservationPolicy Policy { get; } = policy;

    public RepositoryRoot Repository { get; } = repository ?? RepositoryRoot.None;

    public Task<AgentRecord> RegisterAgentAsync(AgentId agent, AgentRegistration? registration = null, CancellationToken cancellationToken = default)
        => persistence.UpsertAgentAsync(agent, (existing, now) => AgentRegistrations.Apply(existing, agent, registration, now), cancellationToken);

    public async Task<ReservationHandle> ReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default)
    {
        var result = await TryReserveAsync(request, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.Handle : throw result.Error.ToException();
    }

    public async Task<ReserveResult> TryReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);

        // Read before the grant, so a connection lost while granting is reported by the handle too.
        var connectionLost = persistence.ConnectionLost;
        var outcome = await UpdateAsync(false, ledger => ledger.Reserve(request, Policy), cancellationToken).ConfigureAwait(false);
        if (outcome.Error is { } error)
        {
            return ReserveResult.Refused(error);
        }

        Policy.Validate(request.Ttl, out var ttl);
        return ReserveResult.Granted(new ReservationHandle(this, outcome.Value!, ttl, request.AutoRenew, persistence.TimeProvider, connectionLost));
    }

    public async Task<ReservationSetHandle> ReserveAllAsync(IEnumerable<ReservationRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);

        // One canonical order for every caller, so two agents taking overlapping sets cannot each hold half.
        var ordered = requests.OrderBy(r => r.Scope).ThenBy(r => r.Agent).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Scope == ordered[i - 1].Scope)
            {
                throw new AgentLocksException(ErrorCode.InvalidArgs, $"Scope '{ordered[i].Scope}' is requested twice.");
            }
        }

        List<ReservationHandle> taken = [];
        try
        {
            foreach (var request in ordered)
            {
                taken.Add(await ReserveAsync(request, cancellationToken).ConfigureAwait(false));
            }

            return new ReservationSetHandle(taken);
        }
        catch
        {
            for (var i = taken.Count - 1; i >= 0; i--)
            {
                await taken[i].DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    public async Task<Reservation> RenewAsync(AgentId agent, ScopePattern scope, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => (await UpdateAsync(false, ledger => ledger.Renew(agent, scope, ttl, Policy), cancellationToken).ConfigureAwait(false)).GetOrThrow();

    public async Task<Reservation> ReleaseAsync(AgentId agent, ScopePattern scope, CancellationToken cancellationToken = default)
        => (await UpdateAsync(false, ledger => ledger.Release(agent, scope), cancellationToken).ConfigureAwait(false)).GetOrThrow();

    public async Task<ReservationStatus> GetStatusAsync(StatusQuery? query = null, CancellationToken cancellationToken = default)
    {
        var messages = await persistence.ReadMessagesAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await UpdateAsync(true, ledger => ledger.Status(query ?? new StatusQuery(), messages), cancellationToken).ConfigureAwait(false);
        return outcome.GetOrThrow();
    }

    /// <summary>
    /// The reservations whose lease ran out and that no status has swept yet; with <paramref name="sweep"/>, moves
    /// exactly those into the history as expired in the same step (what <c>doctor --fix</c> does).
    /// </summary>
    public Task<IReadOnlyList<Reservation>> ExpiredAsync(bool sweep, CancellationToken cancellationToken)
        => UpdateAsync<IReadOnlyList<Reservation>>(false, ledger => sweep ? ledger.Sweep() : ledger.Expired(), cancellationToken);

    async Task<Reservation> IReservationLeaseOwner.RenewAsync(Reservation reservation, TimeSpan? ttl, CancellationToken cancellationToken)
        => (await UpdateAsync(false, ledger => ledger.RenewById(reservation.Id, ttl, Policy), cancellationToken).ConfigureAwait(false)).GetOrThrow();

    Task IReservationLeaseOwner.ReleaseAsync(Reservation reservation, CancellationToken cancellationToken)
        => UpdateAsync(false, ledger => ledger.ReleaseById(reservation.Id), cancellationToken);

    Task<Reservation?> IReservationLeaseOwner.FindLiveAsync(ReservationId id, CancellationToken cancellationToken)
        => UpdateAsync(false, ledger => ledger.FindLive(id), cancellationToken);

    public Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);

        // beadboard's rule for message ids, which also keeps a file store's id from naming a path.
        return messageId.Length > 0 && messageId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':')
            ? persistence.AcknowledgeMessageAsync(agent, messageId, cancellationToken)
            : throw new AgentLocksException(ErrorCode.InvalidArgs, $"Message id '{messageId}' must be letters, digits, '_', '-' or ':'.");
    }

    /// <summary>
    /// One decision under the store's repository root; the takeover notices it produced are delivered once its
    /// changes are persisted (even if the caller cancels now: the takeover has happened).
    /// </summary>
    private async Task<T> UpdateAsync<T>(bool withHistory, Func<ReservationLedger, T> decide, CancellationToken cancellationToken)
    {
        IReadOnlyList<AgentMessage> notices = [];
        var result = await persistence.UpdateAsync(withHistory, ledger =>
        {
            ledger.Repository = Repository;
            var decided = decide(ledger);
            notices = ledger.Changed ? ledger.Notices : [];
            return decided;
        }, cancellationToken).ConfigureAwait(false);
        if (notices.Count > 0)
        {
            await persistence.WriteMessagesAsync(notices, CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }
}
