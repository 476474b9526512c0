namespace AgentLocks;

/// <summary>
/// The decision core shared by every store. A store reads its state into a ledger (active reservations, the last
/// fencing token, who is registered, its own <c>now</c>), lets one operation decide, then persists
/// <see cref="Active"/>, <see cref="LastFencingToken"/> and <see cref="Appended"/> when <see cref="Changed"/>.
/// The ledger does no I/O and reads no clock, so every rule (TTL bounds, conflict, takeover, ownership, history)
/// is written once here and stores only persist.
/// </summary>
internal sealed class ReservationLedger
{
    private readonly List<Reservation> _active;
    private readonly Func<AgentId, bool> _isKnownAgent;
    private readonly List<ReservationHistoryEntry> _appended = [];
    private readonly List<AgentMessage> _notices = [];
    private readonly HashSet<AgentId> _seen = [];
    private readonly Queue<long>? _drawnTokens;

    /// <param name="active">The reservations of the active file or table, expired ones included.</param>
    /// <param name="lastFencingToken">The highest token the store has handed out (0 for none).</param>
    /// <param name="isKnownAgent">Whether an agent is registered.</param>
    /// <param name="now">The store's time: its clock, or the database server's.</param>
    /// <param name="drawnTokens">
    /// Tokens the store drew for this decision from a sequence shared by concurrent decisions (PostgreSQL), used in
    /// order instead of counting on from <paramref name="lastFencingToken"/>; one per grant the decision may make.
    /// </param>
    public ReservationLedger(
        IEnumerable<Reservation> active,
        long lastFencingToken,
        Func<AgentId, bool> isKnownAgent,
        DateTimeOffset now,
        IEnumerable<long>? drawnTokens = null)
    {
        _active = [.. active];
        _drawnTokens = drawnTokens is null ? null : new(drawnTokens);
        _isKnownAgent = isKnownAgent;
        Now = now;

        // A token in the active set above the recorded one (a merged or hand-edited file) still moves the counter on.
        LastFencingToken = _active.Aggregate(lastFencingToken, (max, r) => Math.Max(max, r.FencingToken?.Value ?? 0));
    }

    public DateTimeOffset Now { get; }

    /// <summary>
    /// Others wait in the store's shared queue for the scopes of a <see cref="LedgerFocus.Newcomer"/>'s decision: the
    /// store then read them without the decision's locks, so a newcomer that would queue is refused, and the store
    /// decides again, locked, whatever this decision would change.
    /// </summary>
    public bool OthersQueued { get; init; }

    /// <summary>The repository scopes are relative to; the engine sets it before deciding.</summary>
    public RepositoryRoot Repository { get; set; } = RepositoryRoot.None;

    /// <summary>Takeover notices for previous holders, to deliver once this operation's changes are persisted.</summary>
    public IReadOnlyList<AgentMessage> Notices => _notices;

    public IReadOnlyList<Reservation> Active => _active;

    public long LastFencingToken { get; private set; }

    /// <summary>What this operation did, in order; every change appends an entry, so none means nothing to write.</summary>
    public IReadOnlyList<ReservationHistoryEntry> Appended => _appended;

    public bool Changed => _appended.Count > 0;

    /// <summary>The agents this operation granted or renewed a lease for: they were seen alive now.</summary>
    public IReadOnlyCollection<AgentId> SeenAgents => _seen;

    /// <summary>
    /// Grants, refreshes or refuses. Another agent's overlapping live reservation conflicts unless both are shared;
    /// an expired one is <c>RESERVATION_STALE_FOUND</c> unless the request asks to take it over, whoever its owner
    /// is (an unknown owner is never dispossessed silently). The agent's own live reservation of the same scope is
    /// refreshed in place (same id and fencing token).
    /// </summary>
    public Outcome<Reservation> Reserve(ReservationRequest request, ReservationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (policy.Validate(request.Ttl, out var ttl) is { } invalid)
        {
            return invalid;
        }

        if (!_isKnownAgent(request.Agent))
        {
            return AgentNotFound(request.Agent);
        }

        Reservation? own = null;
        List<Reservation> ownExpired = [];
        List<Reservation> stale = [];
        foreach (var held in _active.Where(r => Repository.Overlaps(r.Scope, request.Scope)))
        {
            var live = held.IsLiveAt(Now);
            if (held.AgentId == request.Agent)
            {
                if (!live)
                {
                    ownExpired.Add(held);
                }
                else if (Repository.Same(held.Scope, request.Scope))
                {
                    own = held;
                }

                continue;
            }

            if (!Conflicts(held.AgentId, held.Scope, held.Mode, request, Repository))
            {
                continue;
            }

            if (live)
            {
                return new AgentLocksError(ErrorCode.ReservationConflict,
                    $"Scope '{request.Scope}' overlaps '{held.Scope}', reserved by agent {held.AgentId} until {Text(held.ExpiresAt)}.");
            }

            stale.Add(held);
        }

        if (stale.Count > 0 && !request.TakeoverStale)
        {
            var first = stale[0];
            return new AgentLocksError(ErrorCode.ReservationStaleFound,
                $"An expired reservation of '{first.Scope}' by agent {first.AgentId} overlaps '{request.Scope}'. Ask for takeover (--takeover-stale) to take it.");
        }

        ownExpired.ForEach(Expire);
        _seen.Add(request.Agent);
        if (own is not null)
        {
            return Replace(own, own with { ExpiresAt = Now + ttl, Mode = request.Mode, BeadId = request.Bead, Reason = request.Reason ?? own.Reason }, ReservationEvent.Renewed);
        }

        var id = ReservationId.New(Now);
        foreach (var old in stale)
        {
            _active.Remove(old);
            _appended.Add(new ReservationHistoryEntry(ReservationEvent.TakenOver, old with { State = ReservationState.Expired }, Now, request.Agent, id));
            Notify(old, request.Agent);
        }

        LastFencingToken = _drawnTokens is null ? checked(LastFencingToken + 1) : _drawnTokens.Dequeue();
        var granted = new Reservation
        {
            Id = id,
            Scope = request.Scope,
            AgentId = request.Agent,
            BeadId = request.Bead,
            State = ReservationState.Active,
            Mode = request.Mode,
            CreatedAt = Now,
            ExpiresAt = Now + ttl,
            FencingToken = new FencingToken(LastFencingToken),
            Reason = request.Reason,
        };
        _active.Add(granted);
        _appended.Add(new ReservationHistoryEntry(ReservationEvent.Reserved, granted, Now));
        return granted;
    }

    /// <summary>
    /// All of <paramref name="requests"/> or none: each is decided as by <see cref="Reserve"/>, in order, and the first
    /// refusal undoes the grants before it, so nothing is written.
    /// </summary>
    public Outcome<IReadOnlyList<Reservation>> ReserveAll(IReadOnlyList<ReservationRequest> requests, ReservationPolicy policy)
    {
        List<Reservation> before = [.. _active];
        var (token, appended) = (LastFencingToken, _appended.Count);
        List<Reservation> granted = [];
        foreach (var request in requests)
        {
            var outcome = Reserve(request, policy);
            if (outcome.Error is { } error)
            {
                _active.Clear();
                _active.AddRange(before);
                LastFencingToken = token;
                _appended.RemoveRange(appended, _appended.Count - appended);
                return new(null, error);
            }

            granted.Add(outcome.Value!);
        }

        return new(granted, null);
    }

    /// <summary>
    /// How long until the first live reservation that keeps any of <paramref name="requests"/> out lapses (null: none
    /// does); a waiter sets its timer by it, since nobody announces a lapse.
    /// </summary>
    public TimeSpan? UntilFirstLapse(IEnumerable<ReservationRequest> requests)
        => _active
            .Where(held => held.IsLiveAt(Now) && requests.Any(r => Conflicts(held.AgentId, held.Scope, held.Mode, r, Repository)))
            .Select(held => (TimeSpan?)(held.ExpiresAt - Now))
            .Min();

    /// <summary>Whether the agent holds a live reservation overlapping <paramref name="scope"/> (then it does not queue behind waiters for it).</summary>
    public bool HoldsOverlapping(AgentId agent, ScopePattern scope)
        => _active.Exists(r => r.AgentId == agent && r.IsLiveAt(Now) && Repository.Overlaps(r.Scope, scope));

    /// <summary>The conflict rule: another agent's overlapping scope (under <paramref name="repository"/>), unless both are shared.</summary>
    public static bool Conflicts(AgentId agent, ScopePattern scope, ReservationMode mode, ReservationRequest request, RepositoryRoot repository)
        => agent != request.Agent
            && repository.Overlaps(scope, request.Scope)
            && !(mode == ReservationMode.Shared && request.Mode == ReservationMode.Shared);

    /// <summary>Extends the agent's live reservation of exactly <paramref name="scope"/>; only its owner may.</summary>
    public Outcome<Reservation> Renew(AgentId agent, ScopePattern scope, TimeSpan? ttl, ReservationPolicy policy)
    {
        if (policy.Validate(ttl, out var granted) is { } invalid)
        {
            return invalid;
        }

        var owned = FindOwned(agent, scope);
        if (owned.Error is { } error)
        {
            return error;
        }

        _seen.Add(agent);
        return Replace(owned.Value!, owned.Value! with { ExpiresAt = Now + granted }, ReservationEvent.Renewed);
    }

    /// <summary>Releases the agent's live reservation of exactly <paramref name="scope"/>; only its owner may.</summary>
    public Outcome<Reservation> Release(AgentId agent, ScopePattern scope)
    {
        var owned = FindOwned(agent, scope);
        return owned.Error is { } error ? error : ReleaseHeld(owned.Value!);
    }

    /// <summary>Extends the reservation with this id (a handle's renewal): a lease already lost cannot be renewed.</summary>
    public Outcome<Reservation> RenewById(ReservationId id, TimeSpan? ttl, ReservationPolicy policy)
    {
        if (policy.Validate(ttl, out var granted) is { } invalid)
        {
            return invalid;
        }

        if (FindLive(id) is not { } held)
        {
            return new AgentLocksError(ErrorCode.ReservationNotFound, $"Reservation {id} is no longer held: it expired, was released or was taken over.");
        }

        _seen.Add(held.AgentId);
        return Replace(held, held with { ExpiresAt = Now + granted }, ReservationEvent.Renewed);
    }

    /// <summary>Releases the reservation with this id (a handle's disposal); one already gone is not an error, so null.</summary>
    public Reservation? ReleaseById(ReservationId id)
    {
        var held = _active.Find(r => r.Id == id);
        if (held is not null && !held.IsLiveAt(Now))
        {
            // Its owner gives up a lease that already ran out: it ends as expired, not released.
            Expire(held);
            return null;
        }

        return held is null ? null : ReleaseHeld(held);
    }

    /// <summary>
    /// The reservation with this id while it is live. A lease monitor asks this; it changes nothing, so an expired
    /// reservation stays for status to sweep or another agent to take over on request.
    /// </summary>
    public Reservation? FindLive(ReservationId id) => _active.Find(r => r.Id == id && r.IsLiveAt(Now));

    /// <summary>The expired reservations this operation took over (for telemetry); none in most operations.</summary>
    public IReadOnlyList<Reservation> TakenOver()
        => _appended.Exists(e => e.Event == ReservationEvent.TakenOver)
            ? _appended.Where(e => e.Event == ReservationEvent.TakenOver).Select(e => e.Reservation).ToList()
            : [];

    /// <summary>The reservations whose lease has run out and that are not swept yet; changes nothing.</summary>
    public List<Reservation> Expired() => _active.Where(r => !r.IsLiveAt(Now)).ToList();

    /// <summary>Moves every reservation whose lease has run out into the history as expired, noticing its holder.</summary>
    public IReadOnlyList<Reservation> Sweep()
    {
        var expired = Expired();
        foreach (var held in expired)
        {
            Expire(held);
            Notify(held, null);
        }

        return expired;
    }

    /// <summary>
    /// beadboard's status: sweep, then the active reservations and unacknowledged required messages matching the
    /// query, with counts. Released and expired are counted from the whole <paramref name="history"/> (the store's,
    /// read in the same step) and this sweep.
    /// </summary>
    public Outcome<ReservationStatus> Status(StatusQuery query, IEnumerable<AgentMessage> messages, IReadOnlyList<ReservationHistoryEntry> history)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Agent is { } agent && !_isKnownAgent(agent))
        {
            return AgentNotFound(agent);
        }

        Sweep();
        bool Matches(Reservation r) => (query.Bead is null || r.BeadId == query.Bead) && (query.Agent is null || r.AgentId == query.Agent);
        var reservations = _active.Where(Matches).ToList();
        var past = history.Concat(_appended).Select(e => e.Reservation).Where(Matches).ToList();
        var unacked = messages
            .Concat(_notices)
            .Where(m => m.RequiresAck && m.AckedAt is null
                && (query.Bead is null || m.BeadId == query.Bead.Value.Value)
                && (query.Agent is null || m.ToAgent == query.Agent.Value.Value))
            .OrderByDescending(m => m.CreatedAt)
            .ToList();
        return new ReservationStatus
        {
            Reservations = reservations,
            UnackedRequiredMessages = unacked,
            Summary = new StatusSummary(
                reservations.Count,
                past.Count(r => r.State == ReservationState.Released),
                past.Count(r => r.State == ReservationState.Expired),
                unacked.Count),
        };
    }

    private static string Text(DateTimeOffset instant) => UtcTimestampJsonConverter.Text(instant);

    private static AgentLocksError AgentNotFound(AgentId agent)
        => new(ErrorCode.AgentNotFound, $"Agent {agent} is not registered; run 'agentlocks agent register --agent {agent}' first.");

    /// <summary>The agent's live reservation of exactly this scope, or why there is none for it.</summary>
    private Outcome<Reservation> FindOwned(AgentId agent, ScopePattern scope)
    {
        if (!_isKnownAgent(agent))
        {
            return AgentNotFound(agent);
        }

        var same = _active.Where(r => Repository.Same(r.Scope, scope)).ToList();
        if (same.Find(r => r.AgentId == agent) is { } mine)
        {
            if (mine.IsLiveAt(Now))
            {
                return mine;
            }

            Expire(mine);
        }
        else if (same.Find(r => r.IsLiveAt(Now)) is { } other)
        {
            return new AgentLocksError(ErrorCode.ReleaseForbidden,
                $"Only the reservation owner may release or renew this scope: '{scope}' is reserved by agent {other.AgentId}.");
        }

        return new AgentLocksError(ErrorCode.ReservationNotFound, $"Agent {agent} holds no active reservation of '{scope}'.");
    }

    /// <summary>A registered previous holder learns that its reservation was taken over or swept (<paramref name="by"/> null).</summary>
    private void Notify(Reservation previous, AgentId? by)
    {
        if (_isKnownAgent(previous.AgentId))
        {
            _notices.Add(TakeoverNotice.For(previous, by, Now));
        }
    }

    private Reservation ReleaseHeld(Reservation held)
        => Replace(held, held with { State = ReservationState.Released, ReleasedAt = Now }, ReservationEvent.Released);

    private void Expire(Reservation held) => Replace(held, held with { State = ReservationState.Expired }, ReservationEvent.Expired);

    /// <summary>Applies one transition: active ones stay in place, ended ones leave the active set; either way a history entry.</summary>
    private Reservation Replace(Reservation held, Reservation next, ReservationEvent what)
    {
        var index = _active.IndexOf(held);
        if (next.State == ReservationState.Active)
        {
            _active[index] = next;
        }
        else
        {
            _active.RemoveAt(index);
        }

        _appended.Add(new ReservationHistoryEntry(what, next, Now));
        return next;
    }
}
