namespace AgentLocks;

/// <summary>Who holds a worker identity lock, as the lock file (or the PostgreSQL row) records it.</summary>
/// <remarks>Usage: <c>var holder = await workerLock.ReadAsync(ct); Console.WriteLine(holder?.Pid);</c></remarks>
public sealed record WorkerLockInfo
{
    internal WorkerLockInfo(int pid, DateTimeOffset acquiredAt, SessionId? session, string? hostName, long? processStartTime, string? bootId, string? ownerToken, int? backendPid = null)
    {
        Pid = pid;
        AcquiredAt = acquiredAt;
        Session = session;
        HostName = hostName;
        ProcessStartTime = processStartTime;
        BootId = bootId;
        OwnerToken = ownerToken;
        BackendPid = backendPid;
    }

    /// <summary>The holder process (<c>pid</c>); not necessarily the process that acquired the lock.</summary>
    /// <remarks>Usage: <c>info.Pid</c></remarks>
    public int Pid { get; }

    /// <summary>When the lock was taken (<c>acquired_at</c>).</summary>
    /// <remarks>Usage: <c>DateTimeOffset.UtcNow - info.AcquiredAt</c></remarks>
    public DateTimeOffset AcquiredAt { get; }

    /// <summary>The tmux session, window or pane of the holder (<c>session_id</c>), if any.</summary>
    /// <remarks>Usage: <c>info.Session?.Kind</c></remarks>
    public SessionId? Session { get; }

    /// <summary>The host the lock was written on (<c>hostname</c>); null when the writer did not know it.</summary>
    /// <remarks>Usage: <c>info.HostName</c></remarks>
    public string? HostName { get; }

    /// <summary>The holder's start time in clock ticks since boot (<c>/proc/PID/stat</c>); null in gastown's files and on PostgreSQL.</summary>
    /// <remarks>Usage: <c>info.ProcessStartTime</c></remarks>
    public long? ProcessStartTime { get; }

    /// <summary>The Linux boot id when the lock was taken; null in gastown's files and on PostgreSQL.</summary>
    /// <remarks>Usage: <c>info.BootId</c></remarks>
    public string? BootId { get; }

    /// <summary>The PostgreSQL server process (<c>pg_backend_pid()</c>) whose connection holds the lock; null on files.</summary>
    /// <remarks>Usage: <c>info.BackendPid</c></remarks>
    public int? BackendPid { get; }

    /// <summary>The per-acquisition token a handle releases by; null in gastown's files.</summary>
    internal string? OwnerToken { get; }
}
