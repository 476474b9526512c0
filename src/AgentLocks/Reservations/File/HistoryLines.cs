using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentLocks;

/// <summary>
/// One line of <c>history.jsonl</c>: the reservation with beadboard's fields, then ours: <c>event</c>,
/// <c>event_at</c>, and for a takeover <c>taken_over_by</c> and <c>successor_reservation_id</c>.
/// beadboard's own lines carry no event; it is read from their state.
/// </summary>
internal static class HistoryLines
{
    private static readonly JsonSerializerOptions Compact = new(AgentLocksJsonContext.Default.Options) { WriteIndented = false };
    private static readonly AgentLocksJsonContext CompactContext = new(Compact);

    public static string Write(ReservationHistoryEntry entry)
    {
        var line = JsonSerializer.SerializeToNode(entry.Reservation, CompactContext.Reservation)!.AsObject();
        line["event"] = EventName(entry.Event);
        line["event_at"] = entry.At is { } at ? UtcTimestampJsonConverter.Text(at) : null;
        if (entry.TakenOverBy is { } by)
        {
            line["taken_over_by"] = by.Value;
        }

        if (entry.Successor is { } successor)
        {
            line["successor_reservation_id"] = successor.Value;
        }

        return line.ToJsonString(Compact);
    }

    /// <summary>Parses one line; throws <see cref="JsonException"/> when it is not a reservation.</summary>
    public static ReservationHistoryEntry Read(string line)
    {
        var node = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("A history line must be a JSON object.");
        var reservation = JsonSerializer.Deserialize(node, CompactContext.Reservation) ?? throw new JsonException("A history line must be a reservation.");
        var what = node["event"]?.GetValue<string>() is { } name
            ? Enum.GetValues<ReservationEvent>().FirstOrDefault(e => EventName(e) == name, ReservationEvent.Reserved)
            : reservation.State switch
            {
                ReservationState.Released => ReservationEvent.Released,
                ReservationState.Expired => ReservationEvent.Expired,
                _ => ReservationEvent.Reserved,
            };
        DateTimeOffset? at = UtcTimestampJsonConverter.TryParse(node["event_at"]?.GetValue<string>(), out var when) ? when : null;
        AgentId? by = AgentId.TryParse(node["taken_over_by"]?.GetValue<string>(), out var agent) ? agent : null;
        ReservationId? successor = ReservationId.TryParse(node["successor_reservation_id"]?.GetValue<string>(), out var id) ? id : null;
        return new ReservationHistoryEntry(what, reservation, at, by, successor);
    }

    private static string EventName(ReservationEvent what) => JsonNamingPolicy.SnakeCaseLower.ConvertName(what.ToString());
}
