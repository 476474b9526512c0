using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>A message between agents, in beadboard's <c>messages/index/&lt;message_id&gt;.json</c> shape.</summary>
/// <remarks>Usage: <c>if (message.RequiresAck &amp;&amp; message.AckedAt is null) { ... }</c></remarks>
public sealed record AgentMessage
{
    /// <summary>The message id.</summary>
    /// <remarks>Usage: <c>message.MessageId</c></remarks>
    [JsonPropertyName("message_id")]
    public required string MessageId { get; init; }

    /// <summary>The thread, such as <c>bead:bb-101</c>.</summary>
    /// <remarks>Usage: <c>message.ThreadId</c></remarks>
    [JsonPropertyName("thread_id")]
    public string? ThreadId { get; init; }

    /// <summary>The bead the message is about.</summary>
    /// <remarks>Usage: <c>message.BeadId</c></remarks>
    [JsonPropertyName("bead_id")]
    public string? BeadId { get; init; }

    /// <summary>The sender.</summary>
    /// <remarks>Usage: <c>message.FromAgent</c></remarks>
    [JsonPropertyName("from_agent")]
    public string? FromAgent { get; init; }

    /// <summary>The recipient.</summary>
    /// <remarks>Usage: <c>message.ToAgent</c></remarks>
    [JsonPropertyName("to_agent")]
    public string? ToAgent { get; init; }

    /// <summary>beadboard's category, such as <c>HANDOFF</c>.</summary>
    /// <remarks>Usage: <c>message.Category</c></remarks>
    [JsonPropertyName("category")]
    public string? Category { get; init; }

    /// <summary>The subject line.</summary>
    /// <remarks>Usage: <c>message.Subject</c></remarks>
    [JsonPropertyName("subject")]
    public string? Subject { get; init; }

    /// <summary>The body.</summary>
    /// <remarks>Usage: <c>message.Body</c></remarks>
    [JsonPropertyName("body")]
    public string? Body { get; init; }

    /// <summary>beadboard's state word, such as <c>unread</c>.</summary>
    /// <remarks>Usage: <c>message.State</c></remarks>
    [JsonPropertyName("state")]
    public string? State { get; init; }

    /// <summary>Whether the recipient must acknowledge it.</summary>
    /// <remarks>Usage: <c>message.RequiresAck</c></remarks>
    [JsonPropertyName("requires_ack")]
    public bool RequiresAck { get; init; }

    /// <summary>When it was sent.</summary>
    /// <remarks>Usage: <c>message.CreatedAt</c></remarks>
    [JsonPropertyName("created_at")]
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When it was read.</summary>
    /// <remarks>Usage: <c>message.ReadAt</c></remarks>
    [JsonPropertyName("read_at")]
    public DateTimeOffset? ReadAt { get; init; }

    /// <summary>When it was acknowledged; null means not yet.</summary>
    /// <remarks>Usage: <c>message.AckedAt</c></remarks>
    [JsonPropertyName("acked_at")]
    public DateTimeOffset? AckedAt { get; init; }
}
