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

    /// <summary>The host name to record (default: this host's name, as gastown records it).</summary>
    /// <remarks>Usage: <c>new WorkerLockRequest { HostName = "build-7" }</c></remarks>
    public string? HostName { get; init; }
}
