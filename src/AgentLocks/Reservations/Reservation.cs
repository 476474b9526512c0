using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// One reservation of a scope by an agent for a bead. Its JSON carries beadboard's field names
/// (<c>reservation_id</c>, <c>scope</c>, <c>agent_id</c>, <c>bead_id</c>, <c>state</c>, <c>created_at</c>,
/// <c>expires_at</c>, <c>released_at</c>) plus AgentLocks' own (<c>mode</c>, <c>fencing_token</c>, <c>reason</c>).
/// </summary>
/// <remarks>Usage: <c>Console.WriteLine($"{r.Scope} held by {r.AgentId} until {r.ExpiresAt:O}");</c></remarks>
[JsonConverter(typeof(ReservationJsonConverter))]
public sealed record Reservation
{
    /// <summary>The reservation's unique ID (also its per-acquisition id).</summary>
    /// <remarks>Usage: <c>r.Id</c></remarks>
    public required ReservationId Id { get; init; }

    /// <summary>The reserved scope.</summary>
    /// <remarks>Usage: <c>r.Scope</c></remarks>
    public required ScopePattern Scope { get; init; }

    /// <summary>The owner.</summary>
    /// <remarks>Usage: <c>r.AgentId</c></remarks>
    public required AgentId AgentId { get; init; }

    /// <summary>The bead the work is for.</summary>
    /// <remarks>Usage: <c>r.BeadId</c></remarks>
    public required BeadId BeadId { get; init; }

    /// <summary>Active, released or expired.</summary>
    /// <remarks>Usage: <c>r.State == ReservationState.Active</c></remarks>
    public required ReservationState State { get; init; }

    /// <summary>Exclusive (the default; beadboard knows no other) or shared.</summary>
    /// <remarks>Usage: <c>r.Mode</c></remarks>
    public ReservationMode Mode { get; init; }

    /// <summary>When it was granted.</summary>
    /// <remarks>Usage: <c>r.CreatedAt</c></remarks>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the lease runs out unless renewed.</summary>
    /// <remarks>Usage: <c>r.ExpiresAt - now</c></remarks>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When it was released; null while active or when it expired.</summary>
    /// <remarks>Usage: <c>r.ReleasedAt</c></remarks>
    public DateTimeOffset? ReleasedAt { get; init; }

    /// <summary>The store's fencing token for this grant; null only for reservations beadboard wrote.</summary>
    /// <remarks>Usage: <c>r.FencingToken</c></remarks>
    public FencingToken? FencingToken { get; init; }

    /// <summary>Why it was reserved, as the request said (JSON <c>reason</c>, written only when given); null for none.</summary>
    /// <remarks>Usage: <c>r.Reason</c></remarks>
    public string? Reason { get; init; }

    /// <summary>Fields other writers put in the reservation, written back as they were.</summary>
    internal ExtraFields? Extra { get; init; }

    /// <summary>True when active and not yet expired at <paramref name="now"/>.</summary>
    /// <remarks>Usage: <c>r.IsLiveAt(timeProvider.GetUtcNow())</c></remarks>
    public bool IsLiveAt(DateTimeOffset now) => State == ReservationState.Active && ExpiresAt > now;
}
