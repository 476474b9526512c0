using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// Writes instants as beadboard does (<c>2026-11-23T18:53:27.347Z</c>) and reads any RFC 3339 form,
/// including gastown's nanoseconds and other offsets. Comparisons are always of instants, never of text.
/// </summary>
internal sealed class UtcTimestampJsonConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadValue(ref reader);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => WriteValue(writer, value);

    /// <summary>Reads the instant at the reader's token, which must be an RFC 3339 string.</summary>
    public static DateTimeOffset ReadValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A timestamp must be a JSON string, not {reader.TokenType}.");
        }

        // Fast path for the common forms (ours, beadboard's): System.Text.Json's ISO 8601 reader, without a string.
        // It also takes date-only text, which RFC 3339 does not, hence the 'T'; anything else goes the general way.
        if (!reader.ValueIsEscaped && !reader.HasValueSequence
            && reader.ValueSpan.Contains((byte)'T') && reader.TryGetDateTimeOffset(out var fast))
        {
            return fast;
        }

        var text = reader.GetString();
        return TryParse(text, out var value) ? value : throw new JsonException($"'{text}' is not an RFC 3339 timestamp.");
    }

    public static void WriteValue(Utf8JsonWriter writer, DateTimeOffset value)
    {
        Span<char> text = stackalloc char[Format.Length];
        writer.WriteStringValue(value.UtcDateTime.TryFormat(text, out var written, Format, CultureInfo.InvariantCulture) ? text[..written] : Text(value));
    }

    public static string Text(DateTimeOffset value) => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>Parses RFC 3339; fractions longer than .NET's 100 ns ticks (gastown writes nanoseconds) are truncated.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                text = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end));
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out value)
            && text.Contains('T', StringComparison.Ordinal);
    }
}
