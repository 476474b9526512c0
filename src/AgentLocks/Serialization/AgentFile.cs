using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentLocks;

/// <summary>
/// <c>agents/&lt;id&gt;.json</c>, beadboard's agent record. Rewritten field by field over what was read, so fields
/// AgentLocks does not know (and the display fields as written) stay as they were.
/// </summary>
internal sealed class AgentFile
{
    private readonly JsonObject _document;

    private AgentFile(JsonObject document, AgentRecord record)
    {
        _document = document;
        Record = record;
    }

    public AgentRecord Record { get; }

    /// <summary>The record at <paramref name="path"/>, or null when there is none; a damaged one is <c>STORE_CORRUPT</c>.</summary>
    public static AgentFile? Read(string path)
    {
        return StoreFiles.ReadIfExists(path) is { } bytes ? Parse(bytes, path) : null;
    }

    /// <summary>Parses a record read from <paramref name="path"/>; a damaged one is <c>STORE_CORRUPT</c>.</summary>
    public static AgentFile Parse(byte[] bytes, string path)
    {
        try
        {
            var document = JsonNode.Parse(bytes) as JsonObject ?? throw new JsonException("An agent record must be a JSON object.");
            var record = document.Deserialize(AgentLocksJsonContext.Default.AgentRecord) ?? throw new JsonException("The document is null.");
            return new AgentFile(document, record);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw FileReservationPersistence.Corrupt(path, e.Message, e);
        }
    }

    /// <summary>Writes <paramref name="record"/> durably over <paramref name="existing"/>'s document (fields it does not carry kept).</summary>
    public static void Write(string path, AgentFile? existing, AgentRecord record)
    {
        // A copy: the record read stays as it was read (the store keeps it while its file is unchanged).
        var document = existing?._document.DeepClone().AsObject() ?? [];
        foreach (var (name, value) in JsonSerializer.SerializeToNode(record, AgentLocksJsonContext.Default.AgentRecord)!.AsObject().ToList())
        {
            document[name] = value?.DeepClone();
        }

        DurableFile.WriteAtomic(path, StoreDocument.Write(writer => document.WriteTo(writer)));
    }
}
