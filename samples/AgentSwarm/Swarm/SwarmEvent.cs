using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSwarm.Swarm;

/// <summary>
/// One line of an agent's log (and of its stdout, which the orchestrator reads for the live view).
/// Times are <see cref="Stopwatch"/> nanoseconds: on one machine the clock is shared by every process,
/// so intervals from different agents can be compared.
/// </summary>
internal sealed record SwarmEvent
{
    [JsonPropertyName("t")]
    public long TimeNs { get; init; } = SwarmClock.NowNs();

    [JsonPropertyName("agent")]
    public required string Agent { get; init; }

    [JsonPropertyName("pid")]
    public int Pid { get; init; } = Environment.ProcessId;

    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    /// <summary>The scopes held (reserved) or wanted (waiting), comma-separated in the human text.</summary>
    [JsonPropertyName("scopes")]
    public IReadOnlyList<string>? Scopes { get; init; }

    /// <summary>The exclusive scope a write happens under.</summary>
    [JsonPropertyName("scope")]
    public string? Scope { get; init; }

    [JsonPropertyName("file")]
    public string? File { get; init; }

    [JsonPropertyName("token")]
    public long? Token { get; init; }

    [JsonPropertyName("wait_ms")]
    public double? WaitMs { get; init; }

    [JsonPropertyName("count")]
    public int? Count { get; init; }

    [JsonPropertyName("detail")]
    public string? Detail { get; init; }

    /// <summary>What the agent's stores recorded on the <c>AgentLocks</c> meter (the <see cref="EventKinds.Metrics"/> event).</summary>
    [JsonPropertyName("metrics")]
    public AgentSwarm.Agents.AgentMetrics? Metrics { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, SwarmJsonContext.Default.SwarmEvent);

    public static SwarmEvent? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(line, SwarmJsonContext.Default.SwarmEvent);
        }
        catch (JsonException)
        {
            // A line cut short by kill -9 is not an event.
            return null;
        }
    }
}

/// <summary>The event kinds, one place for the names the agents write and the orchestrator reads.</summary>
internal static class EventKinds
{
    public const string Started = "started";
    public const string LockAcquired = "lock-acquired";
    public const string Waiting = "waiting";
    public const string Recovering = "recovering";
    public const string Reserved = "reserved";
    public const string WriteBegin = "write-begin";
    public const string WriteEnd = "write-end";
    public const string LeaseShort = "lease-short";
    public const string Committed = "committed";
    public const string CommitRefused = "commit-refused";
    public const string Released = "released";
    public const string Done = "done";

    /// <summary>The agent's metrics, written last, when it is done or failed.</summary>
    public const string Metrics = "metrics";
    public const string Failed = "failed";

    /// <summary>Not written by agents: a line of an agent's stderr, as the orchestrator relays it.</summary>
    public const string Stderr = "stderr";
}

/// <summary>The shared monotonic clock (CLOCK_MONOTONIC on Linux) in nanoseconds.</summary>
internal static class SwarmClock
{
    public static long NowNs() => (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SwarmEvent))]
internal sealed partial class SwarmJsonContext : JsonSerializerContext;
