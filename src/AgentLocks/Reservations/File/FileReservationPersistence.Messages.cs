using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentLocks;

/// <summary>
/// Messages in beadboard's mail layout: each message in <c>messages/index/&lt;message_id&gt;.json</c> (the copy beadboard
/// reads and updates) and one line in the recipient's <c>messages/&lt;agent&gt;.jsonl</c> inbox. Like beadboard, mail is
/// written without the reservations mutex: each file is written whole (index) or appended (inbox).
/// </summary>
internal sealed partial class FileReservationPersistence
{
    public Task WriteMessagesAsync(IReadOnlyList<AgentMessage> messages, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(MessagesDirectory);
        foreach (var message in messages)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DurableFile.WriteAtomic(IndexPath(message.MessageId), StoreDocument.Write(writer => JsonSerializer.Serialize(writer, message, AgentLocksJsonContext.Default.AgentMessage)));
            var line = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(line))
            {
                JsonSerializer.Serialize(writer, message, AgentLocksJsonContext.Default.AgentMessage);
            }

            DurableFile.AppendDurable(Path.Combine(Root, "messages", $"{message.ToAgent}.jsonl"), [.. line.WrittenSpan, (byte)'\n']);
        }

        return Task.CompletedTask;
    }

    public Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken)
    {
        var path = IndexPath(messageId);
        JsonObject? document = null;
        try
        {
            document = JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            // Missing or unreadable: there is no message to acknowledge.
        }

        if (document is null || (string?)document["to_agent"] != agent.Value)
        {
            throw new AgentLocksException(ErrorCode.MessageNotFound, $"No message {messageId} is addressed to agent {agent}.");
        }

        // Patch in place, so fields beadboard (or a later version) added are kept.
        var now = UtcTimestampJsonConverter.Text(TimeProvider.GetUtcNow());
        document["state"] = "acked";
        document["read_at"] ??= now;
        document["acked_at"] ??= now;
        var bytes = StoreDocument.Write(writer => document.WriteTo(writer));
        DurableFile.WriteAtomic(path, bytes);
        return Task.FromResult(JsonSerializer.Deserialize(bytes, AgentLocksJsonContext.Default.AgentMessage)!);
    }

    private string IndexPath(string messageId) => Path.Combine(MessagesDirectory, $"{messageId}.json");
}
