using System.Buffers;
using System.Text;
using System.Text.Json;

namespace AgentLocks;

/// <summary>
/// One line of <c>history.jsonl</c>: the reservation with beadboard's fields, then ours: <c>event</c>,
/// <c>event_at</c>, and for a takeover <c>taken_over_by</c> and <c>successor_reservation_id</c>.
/// beadboard's own lines carry no event; it is read from their state.
/// </summary>
internal static class HistoryLines
{
    /// <summary>The field naming the history offset where a line's commit began, or the chain of unsynced commits it is part of (see <see cref="ActiveFile.HistorySize"/>, <see cref="UnsyncedCommit"/>).</summary>
    public const string BatchField = "agentlocks_batch";

    /// <summary>One line of a commit whose lines start at offset <paramref name="batch"/> of the history.</summary>
    public static string Write(ReservationHistoryEntry entry, long batch)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            ReservationJson.WriteProperties(writer, entry.Reservation);
            writer.WriteString("event"u8, EventName(entry.Event));
            ReservationJson.WriteTimestamp(writer, "event_at"u8, entry.At);
            if (entry.TakenOverBy is { } by)
            {
                writer.WriteString("taken_over_by"u8, by.Value);
            }

            if (entry.Successor is { } successor)
            {
                writer.WriteString("successor_reservation_id"u8, successor.Value);
            }

            writer.WriteNumber(BatchField, batch);

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses one line; throws <see cref="JsonException"/> when it is not a reservation.</summary>
    public static ReservationHistoryEntry Read(string line)
    {
        string? name = null, at = null, by = null, successor = null;
        var reservation = ReservationJson.ReadDocument(Encoding.UTF8.GetBytes(line), (ref Utf8JsonReader reader) =>
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("A history line must be a JSON object.");
            }

            return ReservationJson.Read(ref reader, (string property, ref Utf8JsonReader value) =>
            {
                switch (property)
                {
                    case "event":
                        name = Text(ref value, property);
                        return true;
                    case "event_at":
                        at = Text(ref value, property);
                        return true;
                    case "taken_over_by":
                        by = Text(ref value, property);
                        return true;
                    case "successor_reservation_id":
                        successor = Text(ref value, property);
                        return true;
                    case BatchField:
                        value.Skip();
                        return true;
                    default:
                        return false;
                }
            });
        });
        var what = name is not null
            ? Enum.GetValues<ReservationEvent>().FirstOrDefault(e => EventName(e) == name, ReservationEvent.Reserved)
            : reservation.State switch
            {
                ReservationState.Released => ReservationEvent.Released,
                ReservationState.Expired => ReservationEvent.Expired,
                _ => ReservationEvent.Reserved,
            };
        DateTimeOffset? when = UtcTimestampJsonConverter.TryParse(at, out var instant) ? instant : null;
        AgentId? taker = AgentId.TryParse(by, out var agent) ? agent : null;
        ReservationId? next = ReservationId.TryParse(successor, out var id) ? id : null;
        return new ReservationHistoryEntry(what, reservation, when, taker, next);
    }

    /// <summary>The batch offset a line of ours names, or null for another writer's line (or one that is not JSON).</summary>
    public static long? BatchOf(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var mine = reader.ValueTextEquals(BatchField);
                reader.Read();
                if (mine)
                {
                    return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var batch) ? batch : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>A string or null; anything else is not one of our fields.</summary>
    private static string? Text(ref Utf8JsonReader reader, string property)
        => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"'{property}' must be a string."),
        };

    private static string EventName(ReservationEvent what) => JsonNamingPolicy.SnakeCaseLower.ConvertName(what.ToString());
}
