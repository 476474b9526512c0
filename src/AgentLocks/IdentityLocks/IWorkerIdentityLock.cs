namespace AgentLocks;

/// <summary>
/// The identity lock of one worker: at most one live holder at a time. Implemented on files by
/// <see cref="WorkerIdentityLock"/> (gastown's <c>&lt;worker&gt;/.runtime/agent.lock</c>) and on PostgreSQL by
/// <c>PostgresWorkerIdentityLock</c> (from <c>PostgresWorkerIdentityLocks.ForWorker</c>); both behave as this
/// contract says, with the same error codes.
/// </summary>
/// <remarks>Usage: <c>await using var held = await workerLock.AcquireAsync(new WorkerLockRequest { Session = session }, ct);</c></remarks>
public interface IWorkerIdentityLock
{
    /// <summary>The worker: its directory (absolute) on files, its <see cref="WorkerId"/> on PostgreSQL.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(workerLock.Worker);</c></remarks>
    string Worker { get; }

    /// <summary>
    /// Takes the lock, replacing a stale one; <c>LOCKED</c> naming the holder when a live holder (or another host)
    /// has it; <c>INVALID_ARGS</c> when <see cref="WorkerLockRequest.HolderPid"/> is not running.
    /// </summary>
    /// <remarks>Usage: <c>await using var held = await workerLock.AcquireAsync(cancellationToken: ct);</c></remarks>
    Task<WorkerLockHandle> AcquireAsync(WorkerLockRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="AcquireAsync"/>, but null instead of <c>LOCKED</c>.</summary>
    /// <remarks>Usage: <c>await using var held = await workerLock.TryAcquireAsync(cancellationToken: ct); if (held is null) return;</c></remarks>
    Task<WorkerLockHandle?> TryAcquireAsync(WorkerLockRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>The lock's state, holder, age and why, as data. Changes nothing.</summary>
    /// <remarks>Usage: <c>var status = await workerLock.GetStatusAsync(ct); Console.WriteLine(status.State.ToWireName());</c></remarks>
    Task<WorkerLockStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the lock held for <paramref name="holderPid"/> (default: this process) on this host, whichever
    /// handle took it; <c>NOT_LOCKED</c> when it is free, stale, or someone else's. Returns the holder released.
    /// </summary>
    /// <remarks>Usage: <c>await workerLock.ReleaseAsync(agentPid, ct);</c></remarks>
    Task<WorkerLockInfo> ReleaseAsync(int? holderPid = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the lock whoever holds it; returns its status just before, or null when nothing was held or
    /// recorded. The holder's handle then reports <see cref="WorkerLockHandle.HandleLost"/>.
    /// </summary>
    /// <remarks>Usage: <c>var removed = await workerLock.ForceReleaseAsync(ct); Console.WriteLine(removed?.Holder?.Pid);</c></remarks>
    Task<WorkerLockStatus?> ForceReleaseAsync(CancellationToken cancellationToken = default);
}
