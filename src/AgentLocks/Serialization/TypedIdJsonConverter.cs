using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>Reads and writes a typed ID as its string, also as a dictionary key.</summary>
internal sealed class TypedIdJsonConverter<TSelf> : JsonConverter<TSelf>
    where TSelf : struct, ITypedId<TSelf>
{
    public override TSelf Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadValue(ref reader);

    /// <summary>Reads the ID at the reader's token, which must be a string; also for the hand-written documents.</summary>
    public static TSelf ReadValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A {TSelf.KindName} must be a JSON string.");
        }

        return Create(reader.GetString()!);
    }

    public override void Write(Utf8JsonWriter writer, TSelf value, JsonSerializerOptions options)
        => writer.WriteStringValue(value.Value);

    public override TSelf ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => Create(reader.GetString()!);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, TSelf value, JsonSerializerOptions options)
        => writer.WritePropertyName(value.Value);

    private static TSelf Create(string text)
        => TSelf.TryCreate(text, out var value, out var error)
            ? value
            : throw new JsonException($"'{text}' is not a valid {TSelf.KindName}: {error}");
}
