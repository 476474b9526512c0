namespace AgentLocks;

/// <summary>What to record when acquiring a worker identity lock.</summary>
/// <remarks>Usage: <c>await workerLock.AcquireAsync(new WorkerLockRequest { Session = SessionId.Parse("gt-polecat-1"), HolderPid = agentPid }, ct);</c></remarks>
public sealed record WorkerLockRequest
{
    /// <summary>
    /// The process that holds the identity (default: the current process). A launcher passes the long-lived
    /// agent's PID here, so the lock does not go stale when the launcher exits. It must be running.
    /// </summary>
    /// <remarks>Usage: <c>new WorkerLockRequest { HolderPid = agent.Id }</c></remarks>
    public int? HolderPid { get; init; }

    /// <summary>The tmux session, window or pane the holder runs in, if any.</summary>
    /// <remarks>Usage: <c>new WorkerLockRequest { Session = SessionId.Parse("%12") }</c></remarks>
    public SessionId? Session { get; init; }

    /// <summary>The host name to record (default: this host's name, as gastown records it). Recorded only: a lock is judged by its holder PID on files, by its connection on PostgreSQL.</summary>
    /// <remarks>Usage: <c>new WorkerLockRequest { HostName = "build-7" }</c></remarks>
    public string? HostName { get; init; }

    /// <summary>
    /// Files: how often the handle's monitor re-reads the lock file on the lock's <see cref="TimeProvider"/> and cancels
    /// <see cref="WorkerLockHandle.HandleLost"/> once the lock was force-released, taken over or removed. Default
    /// (null): 10 seconds. <see cref="Timeout.InfiniteTimeSpan"/> turns the monitor off; zero or negative is <c>INVALID_ARGS</c>.
    /// PostgreSQL validates it the same way but watches the holding connection instead (every
    /// <c>PostgresStoreOptions.HeartbeatInterval</c>), since a lost connection is a lost lock.
    /// </summary>
    /// <remarks>Usage: <c>new WorkerLockRequest { MonitorInterval = TimeSpan.FromSeconds(2) }</c></remarks>
    public TimeSpan? MonitorInterval { get; init; }

    /// <summary>The holder's PID (default: this process) and start time; <c>INVALID_ARGS</c> when it is not running, or the lock would be stale the moment it is written.</summary>
    internal (int Pid, long? StartTime) RunningHolder(IProcessProbe processes)
    {
        var pid = HolderPid ?? Environment.ProcessId;
        var startTime = processes.StartTime(pid);
        return pid > 0 && processes.IsAlive(pid)
            ? (pid, startTime)
            : throw new AgentLocksException(ErrorCode.InvalidArgs, $"The holder process {pid} is not running.");
    }

    /// <summary>The host name to record (default: <paramref name="thisHost"/>); <c>INVALID_ARGS</c> when empty or with control characters.</summary>
    internal string EffectiveHostName(string thisHost)
    {
        var host = HostName ?? thisHost;
        return string.IsNullOrWhiteSpace(host) || host.Any(char.IsControl)
            ? throw new AgentLocksException(ErrorCode.InvalidArgs, "The host name must be non-empty text without control characters.")
            : host;
    }

    /// <summary>The monitor interval to use: the default when none is given; <c>INVALID_ARGS</c> when it cannot be a timer period.</summary>
    internal TimeSpan EffectiveMonitorInterval()
    {
        var interval = MonitorInterval ?? TimeSpan.FromSeconds(10);
        return interval == Timeout.InfiniteTimeSpan || (interval > TimeSpan.Zero && interval.TotalMilliseconds <= MaxTimerMilliseconds)
            ? interval
            : throw new AgentLocksException(ErrorCode.InvalidArgs, $"The monitor interval must be positive and at most {MaxTimerMilliseconds} ms, or Timeout.InfiniteTimeSpan to turn the monitor off (found {interval}).");
    }

    // The longest period a .NET timer accepts.
    private const double MaxTimerMilliseconds = uint.MaxValue - 1;
}
