namespace AgentLocks;

/// <summary>What an agent asks a store for.</summary>
/// <param name="Agent">The agent that will own the reservation; it must be registered.</param>
/// <param name="Scope">The scope to reserve.</param>
/// <param name="Bead">The bead the work is for.</param>
/// <param name="Ttl">The lease in whole minutes within the store's bounds; null takes the store's default (120 minutes).</param>
/// <remarks>Usage: <c>new ReservationRequest(AgentId.Parse("auth-refactorer"), ScopePattern.Parse("src/api/**"), BeadId.Parse("bd-43"), TimeSpan.FromMinutes(10))</c></remarks>
public sealed record ReservationRequest(AgentId Agent, ScopePattern Scope, BeadId Bead, TimeSpan? Ttl = null)
{
    /// <summary>Exclusive (the default) or shared.</summary>
    /// <remarks>Usage: <c>request with { Mode = ReservationMode.Shared }</c></remarks>
    public ReservationMode Mode { get; init; } = ReservationMode.Exclusive;

    /// <summary>Take over an overlapping reservation whose lease has expired, instead of failing with <c>RESERVATION_STALE_FOUND</c>.</summary>
    /// <remarks>Usage: <c>request with { TakeoverStale = true }</c></remarks>
    public bool TakeoverStale { get; init; }

    /// <summary>
    /// How long to wait while an overlapping reservation of another agent is in the way: zero (the default) refuses
    /// at once with <c>RESERVATION_CONFLICT</c>; a positive time or <see cref="Timeout.InfiniteTimeSpan"/> waits for
    /// it to be released or to lapse (a lapsed one is then taken over, as with <see cref="TakeoverStale"/>) and
    /// grants, or refuses with the conflict when the time is up. The waiter wakes on the store's change (a signal in
    /// memory, inotify on the files, <c>LISTEN/NOTIFY</c> on PostgreSQL) and when the first conflicting lease lapses,
    /// never on a poll; waiters of one store instance are served in arrival order. Cancelling the token ends the
    /// wait with <see cref="OperationCanceledException"/> and nothing held. A negative time is <c>INVALID_ARGS</c>.
    /// </summary>
    /// <remarks>Usage: <c>await using var held = await store.ReserveAsync(request with { Wait = TimeSpan.FromMinutes(5) }, cancellationToken);</c></remarks>
    public TimeSpan Wait { get; init; }

    /// <summary>Renew the lease automatically at a third of its TTL while the handle is held.</summary>
    /// <remarks>Usage: <c>request with { AutoRenew = true }</c></remarks>
    public bool AutoRenew { get; init; }

    /// <summary>Why the scope is reserved, in free text for people and other agents; null for none.</summary>
    /// <remarks>Usage: <c>request with { Reason = "splitting the login flow" }</c></remarks>
    public string? Reason { get; init; }
}
