using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>What <see cref="IReservationStore.GetStatusAsync"/> reports, in beadboard's status shape.</summary>
/// <remarks>Usage: <c>foreach (var r in status.Reservations) Console.WriteLine(r.Scope);</c></remarks>
public sealed record ReservationStatus
{
    /// <summary>Active reservations matching the query, after the sweep.</summary>
    /// <remarks>Usage: <c>status.Reservations.Count</c></remarks>
    [JsonPropertyName("reservations")]
    public required IReadOnlyList<Reservation> Reservations { get; init; }

    /// <summary>Messages that require an acknowledgement and have none.</summary>
    /// <remarks>Usage: <c>status.UnackedRequiredMessages</c></remarks>
    [JsonPropertyName("unacked_required_messages")]
    public required IReadOnlyList<AgentMessage> UnackedRequiredMessages { get; init; }

    /// <summary>Counts.</summary>
    /// <remarks>Usage: <c>status.Summary.Expired</c></remarks>
    [JsonPropertyName("summary")]
    public required StatusSummary Summary { get; init; }
}

/// <summary>The counts of a status report.</summary>
/// <param name="Active">Active reservations reported.</param>
/// <param name="Released">Reservations released (in the history, matching the query).</param>
/// <param name="Expired">Reservations that expired (in the history, matching the query), this sweep included.</param>
/// <param name="UnackedRequiredMessages">Unacknowledged required messages reported.</param>
/// <remarks>Usage: <c>status.Summary.Active</c></remarks>
public sealed record StatusSummary(
    [property: JsonPropertyName("active")] int Active,
    [property: JsonPropertyName("released")] int Released,
    [property: JsonPropertyName("expired")] int Expired,
    [property: JsonPropertyName("unacked_required_messages")] int UnackedRequiredMessages);
