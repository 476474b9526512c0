namespace AgentLocks;

/// <summary>
/// <see cref="IReservationStore"/> written once over a persistence seam: refusals come from the core as data,
/// handles renew and release by reservation id, so a holder that lost its lease cannot touch the next holder's.
/// A request with a <see cref="ReservationRequest.Wait"/> waits here, for every store alike: it queues behind this
/// instance's earlier waiters, tries, on its first conflict takes its place in the store's queue shared by every
/// process (<see cref="IReservationPersistence.QueueAsync"/>) and, once at its head, sleeps until <paramref name="changes"/> reports a change to an
/// overlapping scope or the first conflicting lease lapses, never on a poll. Scopes compare by their relative form
/// under <paramref name="repository"/>. Each operation reports to <see cref="Telemetry"/> at its decision points
/// (logs, metrics, a span). Every store is this engine behind <see cref="ReservationStore"/>.
/// </summary>
internal sealed class ReservationEngine(IReservationPersistence persistence, ReservationPolicy policy, ChangeFeed changes, StoreTelemetry telemetry, RepositoryRoot? repository = null) : IReservationStore, IReservationLeaseOwner
{
    /// <summary>A timer's longest sleep (a longer wait wakes once a day to look again): what <see cref="Task.Delay(TimeSpan)"/> accepts, with margin.</summary>
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(1);

    private readonly WaitQueue _queue = new(repository ?? RepositoryRoot.None);

    public ReservationPolicy Policy { get; } = policy;

    public RepositoryRoot Repository { get; } = repository ?? RepositoryRoot.None;

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
        var outcome = await ReserveWaitingAsync([request], cancellationToken).ConfigureAwait(false);
        if (outcome.Error is { } error)
        {
            Telemetry.Refused(request, error);
            return ReserveResult.Refused(error);
        }

        return ReserveResult.Granted(outcome.Value![0]);
    }

    public async Task<ReservationSetHandle> ReserveAllAsync(IEnumerable<ReservationRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);

        // One canonical order for every caller, so the same set is always decided the same way.
        var ordered = requests.OrderBy(r => r.Scope).ThenBy(r => r.Agent).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Scope == ordered[i - 1].Scope)
            {
                throw new AgentLocksException(ErrorCode.InvalidArgs, $"Scope '{ordered[i].Scope}' is requested twice.");
            }
        }

        var outcome = await ReserveWaitingAsync(ordered, cancellationToken).ConfigureAwait(false);
        if (outcome.Error is { } error && ordered.Count > 0)
        {
            Telemetry.Refused(ordered[0], error);
        }

        return new ReservationSetHandle(outcome.GetOrThrow());
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
            outcome = await DeliverNoticesAsync(await persistence.UpdateWithHistoryAsync(
                (ledger, history) => Decide(ledger, l => l.Status(query ?? new StatusQuery(), messages, history)), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
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
        => UpdateAsync<IReadOnlyList<Reservation>>(LedgerFocus.Everything, ledger => sweep ? ledger.Sweep() : ledger.Expired(), cancellationToken);

    Task<Reservation> IReservationLeaseOwner.RenewAsync(Reservation reservation, TimeSpan? ttl, CancellationToken cancellationToken)
        => ObserveAsync(StoreTelemetry.Renew, reservation.AgentId, reservation.Scope, ledger => ledger.RenewById(reservation.Id, ttl, Policy), cancellationToken);

    async Task IReservationLeaseOwner.ReleaseAsync(Reservation reservation, CancellationToken cancellationToken)
    {
        var op = Telemetry.Start(StoreTelemetry.Release, reservation.AgentId, reservation.Scope);
        Reservation? released;
        try
        {
            released = await UpdateAsync(LedgerFocus.Release(reservation), ledger => ledger.ReleaseById(reservation.Id), cancellationToken).ConfigureAwait(false);
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
            live = await UpdateAsync(LedgerFocus.Lookup(id), ledger => ledger.FindLive(id), cancellationToken).ConfigureAwait(false);
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
            outcome = await UpdateAsync(LedgerFocus.Changing(scope), decide, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Grants every request or none in one decision; with a wait (the longest of the requests'), tries again on each
    /// change that concerns them and when the first conflicting lease lapses, until granted, refused for another
    /// reason, out of time (the last conflict is returned) or cancelled.
    /// </summary>
    private async Task<Outcome<IReadOnlyList<ReservationHandle>>> ReserveWaitingAsync(List<ReservationRequest> requests, CancellationToken cancellationToken)
    {
        if (requests.FirstOrDefault(r => r.Wait < TimeSpan.Zero && r.Wait != Timeout.InfiniteTimeSpan) is { } invalid)
        {
            return Refused(new AgentLocksError(ErrorCode.InvalidArgs, $"The wait {invalid.Wait} is negative; give zero, a positive time or Timeout.InfiniteTimeSpan."));
        }

        var time = persistence.TimeProvider;
        var wait = requests.Any(r => r.Wait == Timeout.InfiniteTimeSpan) ? Timeout.InfiniteTimeSpan : requests.Max(r => r.Wait);
        if (wait == TimeSpan.Zero)
        {
            return (await TryOnceAsync(requests, null, false, cancellationToken).ConfigureAwait(false)).Outcome;
        }

        // Read first, so a test's clock moved while this call is under way still counts against the wait.
        DateTimeOffset? deadline = wait == Timeout.InfiniteTimeSpan ? null : time.GetUtcNow() + wait;

        // A waiter takes over what lapsed while it waited: waiting for a lease to lapse is asking for it.
        IReadOnlyList<ReservationRequest> waiting = [.. requests.Select(r => r with { TakeoverStale = true })];
        // Queued at the call, before any await: arrival order is call order.
        var waiter = _queue.Enter(waiting);
        IAsyncDisposable? watch = null;
        IAsyncDisposable? place = null;
        var queued = false;
        var granted = false;
        var waitStarted = time.GetUtcNow();
        var waitOutcome = "error";
        var announced = false;
        try
        {
            watch = await changes.WatchAsync(cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var link = changes.Current;
                var started = time.GetUtcNow();
                var attempt = await TryOnceAsync(waiting, waiter, newcomer: !queued, cancellationToken).ConfigureAwait(false);
                granted = attempt.Outcome.Error is null;
                if (attempt.Outcome.Error is not { Code: ErrorCode.ReservationConflict } || time.GetUtcNow() >= deadline)
                {
                    waitOutcome = StoreTelemetry.OutcomeName(attempt.Outcome.Error?.Code);
                    return attempt.Outcome;
                }

                if (!announced)
                {
                    announced = true;
                    Telemetry.Waiting(requests[0]);
                }

                if (!queued && attempt.MayQueue)
                {
                    queued = true;
                    var behind = false;
                    var watching = watch;
                    (place, var outOfTime) = await QueueAsync(waiting, deadline, async () =>
                    {
                        // Behind others in the queue a waiter follows no change (only the head tries on one): its
                        // store's change source may stop meanwhile.
                        behind = true;
                        await watching.DisposeAsync().ConfigureAwait(false);
                    }, cancellationToken).ConfigureAwait(false);
                    if (outOfTime)
                    {
                        waitOutcome = StoreTelemetry.OutcomeName(attempt.Outcome.Error?.Code);
                        return attempt.Outcome;
                    }

                    if (behind)
                    {
                        // At the head now, watching again: what changed while it did not watch, it looks at at once.
                        watch = await changes.WatchAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    // At the head at once; a change since its try is still ahead of it on the chain from link.
                }

                var wake = attempt.UntilLapse is { } lapse ? started + lapse : (DateTimeOffset?)null;
                await WaitForChangeAsync(link, waiting, deadline is { } d && (wake is null || d < wake) ? d : wake, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (AgentLocksException e) when (cancellationToken.IsCancellationRequested)
        {
            // A cancelled wait is a cancellation, also when it cut a try short at the store (a connect, a statement).
            throw new OperationCanceledException("The wait for the reservation was cancelled.", e, cancellationToken);
        }
        finally
        {
            Telemetry.Waited(requests[0], time.GetUtcNow() - waitStarted, waitOutcome);
            _queue.Leave(waiter);
            if (place is not null)
            {
                await place.DisposeAsync().ConfigureAwait(false);
            }

            if (watch is not null)
            {
                await watch.DisposeAsync().ConfigureAwait(false);
            }

            if (!granted)
            {
                // Leaving without the scopes: the waiters queued behind this one look again.
                changes.Publish([.. waiting.Select(r => r.Scope)]);
            }
        }
    }

    /// <summary>
    /// Waits for the head of the store's queue for <paramref name="requests"/> until <paramref name="deadline"/>:
    /// the place (null: the store has none) or out of time; <paramref name="behind"/> runs when others are ahead.
    /// </summary>
    private async Task<(IAsyncDisposable? Place, bool OutOfTime)> QueueAsync(IReadOnlyList<ReservationRequest> requests, DateTimeOffset? deadline, Func<ValueTask> behind, CancellationToken cancellationToken)
    {
        var time = persistence.TimeProvider;
        while (true)
        {
            // A timer sleeps at most a day: a longer wait queues again after it.
            using var timeout = deadline is { } d
                ? new CancellationTokenSource(TimeSpan.FromTicks(Math.Clamp((d - time.GetUtcNow()).Ticks, 0, LongestTimer.Ticks)), time)
                : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                return (await persistence.QueueAsync([.. requests.Select(r => Repository.Relative(r.Scope))], behind, linked.Token).ConfigureAwait(false), false);
            }
            catch (Exception e) when (e is OperationCanceledException or AgentLocksException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                if (time.GetUtcNow() >= deadline)
                {
                    return (null, true);
                }
            }
            catch (AgentLocksException) when (!linked.IsCancellationRequested)
            {
                // The store could not queue this waiter (a lost connection): it waits unqueued, as one of a store without a queue.
                return (null, false);
            }
        }
    }

    /// <summary>
    /// One all-or-nothing decision; a waiter first lets earlier waiters for its scopes go: those of this instance and,
    /// while it is a <paramref name="newcomer"/> (not yet in the store's queue), those in the store's queue.
    /// </summary>
    private async Task<Attempt> TryOnceAsync(IReadOnlyList<ReservationRequest> requests, LinkedListNode<IReadOnlyList<ReservationRequest>>? waiter, bool newcomer, CancellationToken cancellationToken)
    {
        // Read before the grant, so a connection lost while granting is reported by the handle too.
        var connectionLost = persistence.ConnectionLost;
        var op = Telemetry.Start(StoreTelemetry.Reserve, requests[0].Agent, requests[0].Scope);
        (Outcome<IReadOnlyList<Reservation>> Decided, TimeSpan? UntilLapse, bool Extending, IReadOnlyList<Reservation> TakenOver, DateTimeOffset Now) result;
        try
        {
            result = await UpdateAsync(LedgerFocus.Reserving(requests.Select(r => r.Scope), newcomer), ledger =>
            {
                // A holder extending its own work does not wait behind earlier waiters: they wait for it anyway.
                var queueing = requests.Where(r => !ledger.HoldsOverlapping(r.Agent, r.Scope)).ToList();
                var ahead = waiter is null ? null : queueing.Select(r => _queue.Ahead(waiter, r)).FirstOrDefault(a => a is not null);
                var decided = ahead is not null
                    ? new(null, new AgentLocksError(ErrorCode.ReservationConflict, $"Agent {ahead.Agent} has been waiting longer for the overlapping scope '{ahead.Scope}'."))
                    : ledger.OthersQueued && queueing.Count == requests.Count
                        ? new(null, new AgentLocksError(ErrorCode.ReservationConflict, $"Other agents are queued for the scope '{requests[0].Scope}'."))
                        : ledger.ReserveAll(requests, Policy);
                return (decided, decided.Error is null ? null : ledger.UntilFirstLapse(requests), queueing.Count < requests.Count, ledger.TakenOver(), ledger.Now);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            op.Fail(e);
            throw;
        }

        var (outcome, untilLapse, extending, takenOver, decidedAt) = result;
        op.End(outcome.Error);
        if (outcome.Error is { } error)
        {
            return new Attempt(Refused(error), untilLapse, !extending);
        }

        List<ReservationHandle> handles = [];
        for (var i = 0; i < requests.Count; i++)
        {
            var granted = outcome.Value![i];
            Telemetry.Granted(granted, i == 0 ? takenOver : []);

            // The lease the core granted (it checked the TTL): the grant expires that long after the decision.
            handles.Add(new ReservationHandle(this, granted, granted.ExpiresAt - decidedAt, requests[i].AutoRenew, persistence.TimeProvider, connectionLost, Telemetry));
        }

        return new Attempt(new(handles, null), null, false);
    }

    /// <summary>
    /// Sleeps from <paramref name="link"/> on until a change concerns <paramref name="requests"/> or the clock reaches
    /// <paramref name="wake"/> (null: no timer); changes to other scopes are passed over without a look at the store.
    /// </summary>
    private async Task WaitForChangeAsync(ChangeLink link, IReadOnlyList<ReservationRequest> requests, DateTimeOffset? wake, CancellationToken cancellationToken)
    {
        var time = persistence.TimeProvider;
        using var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = wake is { } at
            ? Task.Delay(TimeSpan.FromTicks(Math.Clamp((at - time.GetUtcNow()).Ticks, 0, LongestTimer.Ticks)), time, stopTimer.Token)
            : Task.Delay(Timeout.InfiniteTimeSpan, stopTimer.Token);
        try
        {
            while (true)
            {
                if (await Task.WhenAny(link.Changed, timer).ConfigureAwait(false) == timer)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return;
                }

                var change = await link.Changed.ConfigureAwait(false);
                if (change.Concerns(requests.Select(r => r.Scope), Repository))
                {
                    return;
                }

                link = change.Next;
            }
        }
        finally
        {
            await stopTimer.CancelAsync().ConfigureAwait(false);
        }
    }

    public Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);

        // beadboard's rule for message ids, which also keeps a file store's id from naming a path.
        return messageId.Length > 0 && messageId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':')
            ? persistence.AcknowledgeMessageAsync(agent, messageId, cancellationToken)
            : throw new AgentLocksException(ErrorCode.InvalidArgs, $"Message id '{messageId}' must be letters, digits, '_', '-' or ':'.");
    }

    /// <summary>One decision about <paramref name="focus"/> (<see cref="Decide"/>), its notices delivered.</summary>
    private async Task<T> UpdateAsync<T>(LedgerFocus focus, Func<ReservationLedger, T> decide, CancellationToken cancellationToken)
        // A store that reads or locks only what overlaps the decision's scopes must see every form of them.
        => await DeliverNoticesAsync(await persistence.UpdateAsync(focus.Widened(Repository), ledger => Decide(ledger, decide), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>Runs <paramref name="decide"/> under the store's repository root, with the takeover notices it produced (none when it changed nothing).</summary>
    private (T Result, IReadOnlyList<AgentMessage> Notices) Decide<T>(ReservationLedger ledger, Func<ReservationLedger, T> decide)
    {
        ledger.Repository = Repository;
        var result = decide(ledger);
        return (result, ledger.Changed ? ledger.Notices : []);
    }

    /// <summary>
    /// Delivers the takeover notices of a decision whose changes are persisted, even if the caller cancels now: the
    /// takeover has happened.
    /// </summary>
    private async Task<T> DeliverNoticesAsync<T>((T Result, IReadOnlyList<AgentMessage> Notices) decided)
    {
        if (decided.Notices.Count > 0)
        {
            await persistence.WriteMessagesAsync(decided.Notices, CancellationToken.None).ConfigureAwait(false);
        }

        return decided.Result;
    }

    private static Outcome<IReadOnlyList<ReservationHandle>> Refused(AgentLocksError error) => new(null, error);

    /// <summary>
    /// A decision and, when refused, how long until the first conflicting lease lapses and whether the waiter may
    /// queue (not while it extends its own work).
    /// </summary>
    private readonly record struct Attempt(Outcome<IReadOnlyList<ReservationHandle>> Outcome, TimeSpan? UntilLapse, bool MayQueue);
}
