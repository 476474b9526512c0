using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// The lock file as JSON: gastown's four fields with gastown's names and types (so either side reads the
/// other's file; gastown ignores the rest) plus ours. Kept raw here; <see cref="LockFile"/> validates it.
/// </summary>
internal sealed class LockFileRecord
{
    [JsonPropertyName("pid")]
    public long? Pid { get; set; }

    [JsonPropertyName("acquired_at")]
    public string? AcquiredAt { get; set; }

    [JsonPropertyName("session_id")]
    public string? SessionId { get; set; }

    [JsonPropertyName("hostname")]
    public string? Hostname { get; set; }

    [JsonPropertyName("process_start_time")]
    public long? ProcessStartTime { get; set; }

    [JsonPropertyName("boot_id")]
    public string? BootId { get; set; }

    [JsonPropertyName("owner_token")]
    public string? OwnerToken { get; set; }
}

/// <summary>Source-generated JSON for the lock file; absent values are omitted, as gastown's <c>omitempty</c> does.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LockFileRecord))]
internal sealed partial class LockFileJsonContext : JsonSerializerContext
{
}
