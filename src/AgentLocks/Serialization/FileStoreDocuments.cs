using System.Buffers;
using System.Globalization;
using System.Text;
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
    public static ActiveFile Read(ReadOnlySpan<byte> json) => Read(json, ParsedReservations.Instance);

    /// <summary>
    /// Reads the file, getting each reservation from <paramref name="source"/>: one it already knows that starts
    /// there (the reader then goes on after its text without reading it), or the one it reads from the text.
    /// </summary>
    /// <exception cref="JsonException">It is not an active file.</exception>
    public static ActiveFile Read(ReadOnlySpan<byte> json, IReservationTexts source)
    {
        var start = json.StartsWith("\uFEFF"u8) ? 3 : 0;
        var reader = new Utf8JsonReader(json[start..]);
        if (!reader.Read())
        {
            throw new JsonException("The document is empty.");
        }

        ActiveFile file;
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            file = new ActiveFile { Reservations = ReadList(ref reader, json[start..], source) };
        }
        else if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("active.json must be an object with 'reservations'.");
        }
        else
        {
            List<Reservation>? reservations = null;
            long? last = null, size = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "reservations":
                        reservations = ReadList(ref reader, json[start..], source);
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

            file = new ActiveFile
            {
                Reservations = reservations ?? throw new JsonException("'reservations' must be a list of reservations."),
                LastFencingToken = last,
                HistorySize = size,
            };
        }

        if (reader.Read())
        {
            throw new JsonException("The document has more than one value.");
        }

        return file;
    }

    /// <summary>One reservation's text, as <see cref="Read(ReadOnlySpan{byte}, IReservationTexts)"/> hands it over.</summary>
    /// <exception cref="JsonException">It is not a reservation.</exception>
    public static Reservation Reservation(ReadOnlySpan<byte> text)
    {
        var reader = new Utf8JsonReader(text);
        reader.Read();
        return ReservationJson.Read(ref reader);
    }

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
    public byte[] ToBytes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteTo(buffer, [.. Reservations.Select(Text)]);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Writes the file to <paramref name="buffer"/>, indented like beadboard's file, with its trailing newline;
    /// <paramref name="texts"/> holds each reservation's text, in order (<see cref="Text"/>, or a copy of it kept from an
    /// earlier version), so a writer that keeps them serializes only the reservations that changed.
    /// </summary>
    public void WriteTo(IBufferWriter<byte> buffer, IReadOnlyList<byte[]> texts)
    {
        if (Reservations.Count == 0)
        {
            buffer.Write("{\n  \"reservations\": []"u8);
        }
        else
        {
            buffer.Write("{\n  \"reservations\": [\n"u8);
            for (var i = 0; i < Reservations.Count; i++)
            {
                buffer.Write(i == 0 ? ElementIndent : ",\n    "u8);
                buffer.Write(texts[i]);
            }

            buffer.Write("\n  ]"u8);
        }

        WriteNumber(buffer, "agentlocks_last_fencing_token", LastFencingToken);
        WriteNumber(buffer, "agentlocks_history_size", HistorySize);
        buffer.Write("\n}\n"u8);

        static void WriteNumber(IBufferWriter<byte> buffer, string name, long? value)
        {
            if (value is { } number)
            {
                buffer.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $",\n  \"{name}\": {number}")));
            }
        }
    }

    /// <summary>
    /// A reservation's text as an element of the file's list: from its <c>{</c> to its <c>}</c>, its lines indented for
    /// that depth (JSON strings hold no raw line break, so indenting after each one touches only whitespace).
    /// </summary>
    public static byte[] Text(Reservation reservation)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            ReservationJson.Write(writer, reservation);
        }

        var written = buffer.WrittenSpan;
        var text = new List<byte>(written.Length + (written.Count((byte)'\n') * ElementIndent.Length));
        foreach (var b in written)
        {
            text.Add(b);
            if (b == (byte)'\n')
            {
                text.AddRange(ElementIndent);
            }
        }

        return [.. text];
    }

    /// <summary>How deep a reservation sits in the file: inside the object, inside the list.</summary>
    private static ReadOnlySpan<byte> ElementIndent => "    "u8;

    /// <summary>
    /// The list at the reader's token; <paramref name="json"/> is what the reader reads, to cut each reservation's text
    /// from. A reservation <paramref name="source"/> knows is not read: its bytes are those of a whole object read
    /// before, so the reader starts again after them in the state it has after any element of the list (its line
    /// numbers then count from there, which only an error message shows).
    /// </summary>
    private static List<Reservation> ReadList(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, IReservationTexts source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("'reservations' must be a list of reservations.");
        }

        List<Reservation> list = [];
        var offset = 0; // where the reader's bytes start in json
        JsonReaderState? afterElement = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException($"A reservation must be a JSON object, not {reader.TokenType}.");
            }

            var start = offset + (int)reader.TokenStartIndex;
            if (afterElement is { } state && source.Known(json[start..], out var length) is { } known)
            {
                list.Add(known);
                offset = start + length;

                // Known ones mostly follow one another: the separator before each is stepped over here, and the reader
                // starts again only after the last of them.
                while (NextElement(json, offset) is { } next && source.Known(json[next..], out length) is { } following)
                {
                    list.Add(following);
                    offset = next + length;
                }

                reader = new Utf8JsonReader(json[offset..], isFinalBlock: true, state);
                continue;
            }

            reader.Skip();
            afterElement ??= reader.CurrentState;
            list.Add(source.Read(json[start..(offset + (int)reader.BytesConsumed)]));
        }

        return list;
    }

    /// <summary>
    /// Where the next element of a list starts when <paramref name="json"/> from <paramref name="end"/> (just after an
    /// element) holds white space, a comma and white space, exactly what a JSON reader accepts there; else null.
    /// </summary>
    private static int? NextElement(ReadOnlySpan<byte> json, int end)
    {
        var at = end + SkipWhiteSpace(json[end..]);
        return at < json.Length && json[at] == (byte)',' ? at + 1 + SkipWhiteSpace(json[(at + 1)..]) : null;

        static int SkipWhiteSpace(ReadOnlySpan<byte> rest) => rest.IndexOfAnyExcept(" \t\r\n"u8) is >= 0 and var i ? i : rest.Length;
    }

    /// <summary>Every reservation read from its text.</summary>
    private sealed class ParsedReservations : IReservationTexts
    {
        public static readonly ParsedReservations Instance = new();

        public Reservation? Known(ReadOnlySpan<byte> rest, out int length)
        {
            length = 0;
            return null;
        }

        public Reservation Read(ReadOnlySpan<byte> text) => Reservation(text);
    }
}

/// <summary>Where <see cref="ActiveFile.Read(ReadOnlySpan{byte}, IReservationTexts)"/> gets each reservation of the file.</summary>
internal interface IReservationTexts
{
    /// <summary>
    /// A reservation whose whole text (from its <c>{</c> to its <c>}</c>) is where <paramref name="rest"/> starts, and
    /// that text's <paramref name="length"/>; <see langword="null"/> when none is known there.
    /// </summary>
    Reservation? Known(ReadOnlySpan<byte> rest, out int length);

    /// <summary>The reservation whose text, exactly as in the file, is <paramref name="text"/>: read, or found already read.</summary>
    /// <exception cref="JsonException">It is not a reservation.</exception>
    Reservation Read(ReadOnlySpan<byte> text);
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
