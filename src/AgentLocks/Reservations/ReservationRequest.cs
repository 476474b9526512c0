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

    /// <summary>Renew the lease automatically at a third of its TTL while the handle is held.</summary>
    /// <remarks>Usage: <c>request with { AutoRenew = true }</c></remarks>
    public bool AutoRenew { get; init; }
}
