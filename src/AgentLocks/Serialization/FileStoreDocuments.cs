using System.Buffers;
using System.Text.Json;

namespace AgentLocks;

/// <summary>
/// <c>reservations/active.json</c>: beadboard's <c>{"reservations": [...]}</c> (or an older bare list), plus the last
/// fencing token, a field beadboard ignores (and drops when it rewrites the file; <see cref="FencingCeiling"/> covers
/// that). Read and written by hand, like <see cref="ReservationJson"/>; other fields are skipped, as before.
/// </summary>
internal sealed record ActiveFile
{
    public required List<Reservation> Reservations { get; init; }

    public long? LastFencingToken { get; init; }

    /// <summary>
    /// The length of <c>history.jsonl</c> once the commit that wrote this file was done. A longer history means
    /// lines were appended after it: a commit cut off between its two writes (its lines name this offset), or this
    /// file is older than the history (restored from a copy, or rewritten by beadboard, which drops the field).
    /// </summary>
    public long? HistorySize { get; init; }

    /// <exception cref="JsonException">It is not an active file.</exception>
    public static ActiveFile Read(ReadOnlySpan<byte> json) => ReservationJson.ReadDocument(json, static (ref Utf8JsonReader reader) =>
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            return new ActiveFile { Reservations = ReadList(ref reader) };
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("active.json must be an object with 'reservations'.");
        }

        List<Reservation>? reservations = null;
        long? last = null, size = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "reservations":
                    reservations = ReadList(ref reader);
                    break;
                case "agentlocks_last_fencing_token":
                    last = reader.TokenType == JsonTokenType.Null ? null : FencingCeiling.ReadToken(ref reader, name);
                    break;
                case "agentlocks_history_size":
                    size = reader.TokenType == JsonTokenType.Null ? null : FencingCeiling.ReadToken(ref reader, name);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new ActiveFile
        {
            Reservations = reservations ?? throw new JsonException("'reservations' must be a list of reservations."),
            LastFencingToken = last,
            HistorySize = size,
        };
    });

    /// <summary>
    /// What can be read of a damaged active.json: every reservation up to the first place its JSON breaks (a
    /// reservation that is whole JSON but not a reservation is skipped), and a description of what was not read.
    /// </summary>
    public static (List<Reservation> Readable, string Unreadable) Salvage(ReadOnlySpan<byte> json)
    {
        List<Reservation> readable = [];
        List<string> lost = [];
        var reader = new Utf8JsonReader(json.StartsWith("\uFEFF"u8) ? json[3..] : json);
        try
        {
            string? property = null;
            while (reader.Read() && !(reader.TokenType == JsonTokenType.StartArray && (reader.CurrentDepth == 0 || (reader.CurrentDepth == 1 && property == "reservations"))))
            {
                property = reader.TokenType == JsonTokenType.PropertyName ? reader.GetString() : property;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                var depth = reader.CurrentDepth;
                var at = reader.TokenStartIndex;
                try
                {
                    readable.Add(ReservationJson.Read(ref reader));
                }
                catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
                {
                    lost.Add($"the entry at byte {at}: {e.Message}");
                    while (!(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth) && reader.Read())
                    {
                    }
                }
            }

            if (reader.TokenType != JsonTokenType.EndArray)
            {
                lost.Add($"everything from byte {reader.TokenStartIndex} on");
            }
        }
        catch (JsonException e)
        {
            lost.Add($"everything from byte {reader.BytesConsumed} on ({e.Message})");
        }

        return (readable, string.Join("; ", lost));
    }

    /// <summary>Indented like beadboard's file, with its trailing newline.</summary>
    public byte[] ToBytes() => StoreDocument.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("reservations"u8);
        foreach (var reservation in Reservations)
        {
            ReservationJson.Write(writer, reservation);
        }

        writer.WriteEndArray();
        if (LastFencingToken is { } last)
        {
            writer.WriteNumber("agentlocks_last_fencing_token"u8, last);
        }

        if (HistorySize is { } size)
        {
            writer.WriteNumber("agentlocks_history_size"u8, size);
        }

        writer.WriteEndObject();
    });

    private static List<Reservation> ReadList(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("'reservations' must be a list of reservations.");
        }

        List<Reservation> list = [];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            list.Add(ReservationJson.Read(ref reader));
        }

        return list;
    }
}

/// <summary>
/// <c>reservations/agentlocks.json</c>: a ceiling above every fencing token handed out, raised in blocks so it
/// is written rarely. When beadboard has rewritten <c>active.json</c> without our last token, counting resumes
/// above the ceiling, so tokens still only grow.
/// </summary>
internal sealed record FencingCeiling(long Ceiling)
{
    /// <summary>The largest token, ceiling or size a store file may hold: far beyond use, with room to count on.</summary>
    public const long MaxToken = long.MaxValue / 4;

    /// <summary>A token, ceiling or size: an integer from 0 to <see cref="MaxToken"/>; others mean the file is damaged.</summary>
    public static long ReadToken(ref Utf8JsonReader reader, string name)
        => ReservationJson.ReadInt64(ref reader, name) is >= 0 and <= MaxToken and var value
            ? value
            : throw new JsonException($"'{name}' must be an integer from 0 to {MaxToken}.");

    /// <exception cref="JsonException">It is not a ceiling file.</exception>
    public static FencingCeiling Read(ReadOnlySpan<byte> json) => ReservationJson.ReadDocument(json, static (ref Utf8JsonReader reader) =>
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("agentlocks.json must be an object with 'fencing_token_ceiling'.");
        }

        long ceiling = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "fencing_token_ceiling")
            {
                ceiling = ReadToken(ref reader, name);
            }
            else
            {
                reader.Skip();
            }
        }

        return new FencingCeiling(ceiling);
    });

    /// <summary>Indented, with a trailing newline, like the other documents.</summary>
    public byte[] ToBytes() => StoreDocument.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("fencing_token_ceiling"u8, Ceiling);
        writer.WriteEndObject();
    });
}

/// <summary>Writes a store document as beadboard does: indented by two spaces, ending in a newline.</summary>
internal static class StoreDocument
{
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        return [.. buffer.WrittenSpan, (byte)'\n'];
    }
}
