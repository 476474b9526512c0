using System.Text.Json.Serialization;

namespace AgentLocks.Postgres;

/// <summary>Whether a worker identity is held, as the server sees it.</summary>
/// <remarks>Usage: <c>if (status.State == PostgresWorkerLockState.Locked) { ... }</c></remarks>
public enum PostgresWorkerLockState
{
    /// <summary>Nobody holds it and no holder is recorded.</summary>
    Unlocked,

    /// <summary>A live connection holds it; the holder fields say whose.</summary>
    Locked,

    /// <summary>A holder is recorded but its connection is gone (its process or machine died); the next acquire takes it.</summary>
    Stale,
}

/// <summary>
/// Who holds a worker identity in PostgreSQL: the fields of gastown's lock file (<c>pid</c>, <c>acquired_at</c>,
/// <c>session_id</c>, <c>hostname</c>) plus the server backend whose connection holds it.
/// </summary>
/// <remarks>Usage: <c>var status = await locks.GetStatusAsync(worker); Console.WriteLine($"{status.State} {status.Hostname}:{status.Pid}");</c></remarks>
public sealed record PostgresWorkerLockStatus
{
    /// <summary>The worker identity.</summary>
    /// <remarks>Usage: <c>status.Worker</c></remarks>
    [JsonPropertyName("worker")]
    public required WorkerId Worker { get; init; }

    /// <summary>Held, free, or recorded by a holder that died.</summary>
    /// <remarks>Usage: <c>status.State</c></remarks>
    [JsonPropertyName("state")]
    public required PostgresWorkerLockState State { get; init; }

    /// <summary>The holder's machine; null when unlocked.</summary>
    /// <remarks>Usage: <c>status.Hostname</c></remarks>
    [JsonPropertyName("hostname")]
    public string? Hostname { get; init; }

    /// <summary>The holder's process id on its machine; null when unlocked.</summary>
    /// <remarks>Usage: <c>status.Pid</c></remarks>
    [JsonPropertyName("pid")]
    public int? Pid { get; init; }

    /// <summary>The holder's tmux session, when it gave one.</summary>
    /// <remarks>Usage: <c>status.Session</c></remarks>
    [JsonPropertyName("session_id")]
    public SessionId? Session { get; init; }

    /// <summary>Since when (server time); null when unlocked.</summary>
    /// <remarks>Usage: <c>status.AcquiredAt</c></remarks>
    [JsonPropertyName("acquired_at")]
    public DateTimeOffset? AcquiredAt { get; init; }

    /// <summary>The server process (<c>pg_backend_pid()</c>) of the holder's connection; null when unlocked.</summary>
    /// <remarks>Usage: <c>status.BackendPid</c></remarks>
    [JsonPropertyName("backend_pid")]
    public int? BackendPid { get; init; }
}
