using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>An agent known to a store, in beadboard's <c>agents/&lt;id&gt;.json</c> shape.</summary>
/// <remarks>Usage: <c>var record = await store.RegisterAgentAsync(agent); Console.WriteLine(record.Role);</c></remarks>
public sealed record AgentRecord
{
    /// <summary>The agent id.</summary>
    /// <remarks>Usage: <c>record.AgentId</c></remarks>
    [JsonPropertyName("agent_id")]
    public required AgentId AgentId { get; init; }

    /// <summary>A name for people.</summary>
    /// <remarks>Usage: <c>record.DisplayName</c></remarks>
    [JsonPropertyName("display_name")]
    public required string DisplayName { get; init; }

    /// <summary>What the agent does; beadboard's default is <c>agent</c>.</summary>
    /// <remarks>Usage: <c>record.Role</c></remarks>
    [JsonPropertyName("role")]
    public required string Role { get; init; }

    /// <summary>beadboard's status word, such as <c>idle</c>.</summary>
    /// <remarks>Usage: <c>record.Status</c></remarks>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "idle";

    /// <summary>When the agent was first registered.</summary>
    /// <remarks>Usage: <c>record.CreatedAt</c></remarks>
    [JsonPropertyName("created_at")]
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the agent was last seen by the store.</summary>
    /// <remarks>Usage: <c>record.LastSeenAt</c></remarks>
    [JsonPropertyName("last_seen_at")]
    public required DateTimeOffset LastSeenAt { get; init; }

    /// <summary>beadboard's record version.</summary>
    /// <remarks>Usage: <c>record.Version</c></remarks>
    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;
}
