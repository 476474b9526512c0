namespace AgentLocks;

/// <summary>
/// <see cref="IReservationStore"/> written once over a persistence seam: refusals come from the core as data,
/// handles renew and release by reservation id, so a holder that lost its lease cannot touch the next holder's.
/// </summary>
/// <remarks>Each operation reports to <see cref="Telemetry"/> at its decision points (logs, metrics, a span).</remarks>
internal sealed class ReservationEngine(IReservationPersistence persistence, ReservationPolicy policy, StoreTelemetry telemetry) : IReservationStore, IReservationLeaseOwner
{
    public ReservationPolicy Policy { get; } = policy;

    public StoreTelemetry Telemetry { get; } = telemetry;

    public async Task<AgentRecord> RegisterAgentAsync(AgentId agent, AgentRegistration? registration = null, CancellationToken cancellationToken = default)
    {
        var op = Telemetry.Start(StoreTelemetry.Register, agent);
        AgentRecord record;
        try
        {
            record = await persistence.UpsertAgentAsync(agent, (existing, now) => AgentRegistrations.Apply(existing, agent, registration, now), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            op.Fail(e);
            throw;
        }

        op.End();
        return record;
    }

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
        var op = Telemetry.Start(StoreTelemetry.Reserve, request.Agent, request.Scope);
        (Outcome<Reservation> Decision, IReadOnlyList<Reservation> TakenOver) outcome;
        try
        {
            outcome = await persistence.UpdateAsync(false, ledger => (ledger.Reserve(request, Policy), ledger.TakenOver()), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            op.Fail(e);
            throw;
        }

        op.End(outcome.Decision.Error);
        if (outcome.Decision.Error is { } error)
        {
            Telemetry.Refused(request, error);
            return ReserveResult.Refused(error);
        }

        Telemetry.Granted(outcome.Decision.Value!, outcome.TakenOver);
        Policy.Validate(request.Ttl, out var ttl);
        return ReserveResult.Granted(new ReservationHandle(this, outcome.Decision.Value!, ttl, request.AutoRenew, persistence.TimeProvider, connectionLost, Telemetry));
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

    public Task<Reservation> RenewAsync(AgentId agent, ScopePattern scope, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => ObserveAsync(StoreTelemetry.Renew, agent, scope, ledger => ledger.Renew(agent, scope, ttl, Policy), cancellationToken);

    public Task<Reservation> ReleaseAsync(AgentId agent, ScopePattern scope, CancellationToken cancellationToken = default)
        => ObserveAsync(StoreTelemetry.Release, agent, scope, ledger => ledger.Release(agent, scope), cancellationToken);

    public async Task<ReservationStatus> GetStatusAsync(StatusQuery? query = null, CancellationToken cancellationToken = default)
    {
        var op = Telemetry.Start(StoreTelemetry.Status, query?.Agent);
        Outcome<ReservationStatus> outcome;
        try
        {
            var messages = await persistence.ReadMessagesAsync(cancellationToken).ConfigureAwait(false);
            outcome = await persistence.UpdateAsync(true, ledger => ledger.Status(query ?? new StatusQuery(), messages), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            op.Fail(e);
            throw;
        }

        op.End(outcome.Error);
        return outcome.GetOrThrow();
    }

    /// <summary>
    /// The reservations whose lease ran out and that no status has swept yet; with <paramref name="sweep"/>, moves
    /// exactly those into the history as expired in the same step (what <c>doctor --fix</c> does).
    /// </summary>
    public Task<IReadOnlyList<Reservation>> ExpiredAsync(bool sweep, CancellationToken cancellationToken)
        => persistence.UpdateAsync<IReadOnlyList<Reservation>>(false, ledger => sweep ? ledger.Sweep() : ledger.Expired(), cancellationToken);

    Task<Reservation> IReservationLeaseOwner.RenewAsync(Reservation reservation, TimeSpan? ttl, CancellationToken cancellationToken)
        => ObserveAsync(StoreTelemetry.Renew, reservation.AgentId, reservation.Scope, ledger => ledger.RenewById(reservation.Id, ttl, Policy), cancellationToken);

    async Task IReservationLeaseOwner.ReleaseAsync(Reservation reservation, CancellationToken cancellationToken)
    {
        var op = Telemetry.Start(StoreTelemetry.Release, reservation.AgentId, reservation.Scope);
        Reservation? released;
        try
        {
            released = await persistence.UpdateAsync(false, ledger => ledger.ReleaseById(reservation.Id), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            op.Fail(e);
            throw;
        }

        op.End();
        if (released is not null)
        {
            Log.Released(Telemetry.Logger, released.AgentId, released.Scope);
        }
    }

    async Task<Reservation?> IReservationLeaseOwner.FindLiveAsync(ReservationId id, CancellationToken cancellationToken)
    {
        var op = Telemetry.Start(StoreTelemetry.Check);
        Reservation? live;
        try
        {
            live = await persistence.UpdateAsync(false, ledger => ledger.FindLive(id), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            op.Fail(e);
            throw;
        }

        op.End();
        return live;
    }

    /// <summary>Runs a renewal or a release of one agent's scope, timed and logged; a refusal is thrown.</summary>
    private async Task<Reservation> ObserveAsync(string operation, AgentId agent, ScopePattern scope, Func<ReservationLedger, Outcome<Reservation>> decide, CancellationToken cancellationToken)
    {
        var op = Telemetry.Start(operation, agent, scope);
        Outcome<Reservation> outcome;
        try
        {
            outcome = await persistence.UpdateAsync(false, decide, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            op.Fail(e);
            throw;
        }

        op.End(outcome.Error);
        var done = outcome.GetOrThrow();
        if (operation == StoreTelemetry.Renew)
        {
            Log.Renewed(Telemetry.Logger, agent, scope, done.ExpiresAt);
        }
        else
        {
            Log.Released(Telemetry.Logger, agent, scope);
        }

        return done;
    }
}
