using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>Reads a property a document adds to a reservation's own (a history line's <c>event</c>); false skips it.</summary>
internal delegate bool ExtraProperty(string name, ref Utf8JsonReader reader);

/// <summary>
/// The one place a <see cref="Reservation"/>'s JSON is written and read: beadboard's fields, then <c>mode</c> and
/// <c>fencing_token</c>. Written by hand rather than through per-property metadata, because that metadata made a
/// cold CLI call JIT-compile some 700 System.Text.Json generics over our value types (docs/cli-startup.md).
/// Unknown fields are kept, raw, and written back after ours; names are case-sensitive and enum values case-insensitive.
/// </summary>
internal static class ReservationJson
{
    /// <summary>Writes the reservation as one JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, Reservation reservation)
    {
        writer.WriteStartObject();
        WriteProperties(writer, reservation);
        writer.WriteEndObject();
    }

    /// <summary>Writes the reservation's properties into an object the caller opened, so it can add its own after them.</summary>
    public static void WriteProperties(Utf8JsonWriter writer, Reservation r)
    {
        writer.WriteString("reservation_id"u8, r.Id.Value);
        writer.WriteString("scope"u8, r.Scope.Value);
        writer.WriteString("agent_id"u8, r.AgentId.Value);
        writer.WriteString("bead_id"u8, r.BeadId.Value);
        writer.WriteString("state"u8, r.State.ToWireName());
        WriteTimestamp(writer, "created_at"u8, r.CreatedAt);
        WriteTimestamp(writer, "expires_at"u8, r.ExpiresAt);
        WriteTimestamp(writer, "released_at"u8, r.ReleasedAt);
        writer.WriteString("mode"u8, r.Mode.ToWireName());
        if (r.FencingToken is { } token)
        {
            writer.WriteNumber("fencing_token"u8, token.Value);
        }
        else
        {
            writer.WriteNull("fencing_token"u8);
        }

        if (r.Reason is { } reason)
        {
            // Only when given, so what beadboard reads stays as before for reservations without one.
            writer.WriteString("reason"u8, reason);
        }

        r.Extra?.WriteTo(writer);
    }

    /// <summary>Writes an instant in beadboard's form, or null.</summary>
    public static void WriteTimestamp(Utf8JsonWriter writer, ReadOnlySpan<byte> name, DateTimeOffset? value)
    {
        writer.WritePropertyName(name);
        if (value is { } instant)
        {
            UtcTimestampJsonConverter.WriteValue(writer, instant);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    /// <summary>Reads the object at the reader's token; properties it does not know go to <paramref name="extra"/>.</summary>
    /// <exception cref="JsonException">It is not a reservation.</exception>
    public static Reservation Read(ref Utf8JsonReader reader, ExtraProperty? extra = null)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"A reservation must be a JSON object, not {reader.TokenType}.");
        }

        ReservationId id = default;
        ScopePattern scope = default;
        AgentId agent = default;
        BeadId bead = default;
        var state = ReservationState.Active;
        DateTimeOffset created = default, expires = default;
        DateTimeOffset? released = null;
        var mode = ReservationMode.Exclusive;
        FencingToken? token = null;
        string? reason = null;
        List<KeyValuePair<string, string>>? extras = null;
        var seen = Required.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "reservation_id":
                    id = TypedIdJsonConverter<ReservationId>.ReadValue(ref reader);
                    seen |= Required.Id;
                    break;
                case "scope":
                    scope = TypedIdJsonConverter<ScopePattern>.ReadValue(ref reader);
                    seen |= Required.Scope;
                    break;
                case "agent_id":
                    agent = TypedIdJsonConverter<AgentId>.ReadValue(ref reader);
                    seen |= Required.Agent;
                    break;
                case "bead_id":
                    bead = TypedIdJsonConverter<BeadId>.ReadValue(ref reader);
                    seen |= Required.Bead;
                    break;
                case "state":
                    state = (ReservationState)ReadEnum(ref reader, name, ReservationWireNames.States);
                    seen |= Required.State;
                    break;
                case "mode":
                    mode = (ReservationMode)ReadEnum(ref reader, name, ReservationWireNames.Modes);
                    break;
                case "created_at":
                    created = UtcTimestampJsonConverter.ReadValue(ref reader);
                    seen |= Required.Created;
                    break;
                case "expires_at":
                    expires = UtcTimestampJsonConverter.ReadValue(ref reader);
                    seen |= Required.Expires;
                    break;
                case "released_at":
                    released = reader.TokenType == JsonTokenType.Null ? null : UtcTimestampJsonConverter.ReadValue(ref reader);
                    break;
                case "fencing_token":
                    token = reader.TokenType == JsonTokenType.Null ? null
                        : ReadInt64(ref reader, name) is > 0 and <= FencingCeiling.MaxToken and var value ? new FencingToken(value)
                        : throw new JsonException($"A fencing token must be a positive integer up to {FencingCeiling.MaxToken}.");
                    break;
                case "reason" when reader.TokenType is JsonTokenType.String or JsonTokenType.Null:
                    reason = reader.GetString();
                    break;
                default:
                    if (extra?.Invoke(name, ref reader) != true)
                    {
                        // Fields of other writers (beadboard's future ones, a user's) are kept verbatim on rewrite.
                        (extras ??= []).Add(new(name, JsonElement.ParseValue(ref reader).GetRawText()));
                    }

                    break;
            }
        }

        if (seen != Required.All)
        {
            throw new JsonException("A reservation needs reservation_id, scope, agent_id, bead_id, state, created_at and expires_at.");
        }

        return new Reservation
        {
            Id = id,
            Scope = scope,
            AgentId = agent,
            BeadId = bead,
            State = state,
            Mode = mode,
            CreatedAt = created,
            ExpiresAt = expires,
            ReleasedAt = released,
            FencingToken = token,
            Reason = reason,
            Extra = extras is null ? null : new ExtraFields(extras),
        };
    }

    /// <summary>Reads a whole document: exactly one JSON value, after an optional byte order mark.</summary>
    /// <exception cref="JsonException">It is not JSON, or <paramref name="read"/> refuses it.</exception>
    public static T ReadDocument<T>(ReadOnlySpan<byte> json, ReadValue<T> read)
    {
        var reader = new Utf8JsonReader(json.StartsWith("\uFEFF"u8) ? json[3..] : json);
        if (!reader.Read())
        {
            throw new JsonException("The document is empty.");
        }

        var value = read(ref reader);
        if (reader.Read())
        {
            throw new JsonException("The document has more than one value.");
        }

        return value;
    }

    /// <summary>A 64-bit integer (a fencing token or a ceiling); text and fractions are refused, as the serializer did.</summary>
    public static long ReadInt64(ref Utf8JsonReader reader, string name)
        => reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value)
            ? value
            : throw new JsonException($"'{name}' must be an integer.");

    /// <summary>The index of the string's value among <paramref name="names"/>, in any case; numbers are refused.</summary>
    private static int ReadEnum(ref Utf8JsonReader reader, string name, string[] names)
    {
        var index = ReservationWireNames.IndexOf(names, reader.TokenType == JsonTokenType.String ? reader.GetString() : null);
        return index >= 0 ? index : throw new JsonException($"'{name}' must be one of {string.Join(", ", names)}.");
    }

    [Flags]
    private enum Required
    {
        None = 0,
        Id = 1,
        Scope = 2,
        Agent = 4,
        Bead = 8,
        State = 16,
        Created = 32,
        Expires = 64,
        All = 127,
    }
}

/// <summary>The fields of a reservation that AgentLocks does not know, as their raw JSON, in their order; equal by value.</summary>
internal sealed class ExtraFields(IReadOnlyList<KeyValuePair<string, string>> fields) : IEquatable<ExtraFields>
{
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; } = fields;

    public void WriteTo(Utf8JsonWriter writer)
    {
        foreach (var (name, raw) in Fields)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(raw, skipInputValidation: true);
        }
    }

    public bool Equals(ExtraFields? other) => other is not null && Fields.SequenceEqual(other.Fields);

    public override bool Equals(object? obj) => Equals(obj as ExtraFields);

    public override int GetHashCode() => Fields.Count;
}

/// <summary>Reads a whole document.</summary>
internal delegate T ReadDocument<T>(ReadOnlySpan<byte> json);

/// <summary>Reads one value at the reader's token, leaving the reader on its last token.</summary>
internal delegate T ReadValue<T>(ref Utf8JsonReader reader);

/// <summary>Lets the status output and callers' own serializers use <see cref="ReservationJson"/>.</summary>
internal sealed class ReservationJsonConverter : JsonConverter<Reservation>
{
    public override Reservation Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReservationJson.Read(ref reader);

    public override void Write(Utf8JsonWriter writer, Reservation value, JsonSerializerOptions options) => ReservationJson.Write(writer, value);
}
