namespace AgentLocks;

/// <summary>
/// A held worker identity lock, as every backend hands it out. Disposing releases it, once, and only if the lock
/// is still this acquisition's: a lock taken over or force-released meanwhile is left to its new holder.
/// <see cref="HandleLost"/> is cancelled once the lock is no longer this acquisition's: on files a monitor re-reads
/// the lock file every <see cref="WorkerLockRequest.MonitorInterval"/>; on PostgreSQL a watch on the holding
/// connection notices its end within two heartbeats.
/// </summary>
/// <remarks>Usage: <c>await using var held = await workerLock.AcquireAsync(cancellationToken: ct); await WorkAsync(held.HandleLost);</c></remarks>
public abstract class WorkerLockHandle : ILockHandle
{
    /// <summary>Only the backends of AgentLocks derive from it.</summary>
    internal WorkerLockHandle(string worker, WorkerLockInfo info, WorkerLockStatus? tookOver)
    {
        Worker = worker;
        Info = info;
        TookOver = tookOver;
    }

    /// <summary>The worker held (<see cref="IWorkerIdentityLock.Worker"/>).</summary>
    /// <remarks>Usage: <c>held.Worker</c></remarks>
    public string Worker { get; }

    /// <summary>What this acquisition recorded: holder PID, host, session, since when.</summary>
    /// <remarks>Usage: <c>held.Info.Pid</c></remarks>
    public WorkerLockInfo Info { get; }

    /// <summary>The stale lock this acquisition replaced, if any.</summary>
    /// <remarks>Usage: <c>if (held.TookOver is { } old) log(old.Reason);</c></remarks>
    public WorkerLockStatus? TookOver { get; }

    /// <inheritdoc/>
    public abstract CancellationToken HandleLost { get; }

    /// <summary>Asks the backend: true while the lock is still this acquisition's; cancels <see cref="HandleLost"/> when not.</summary>
    /// <remarks>Usage: <c>if (!await held.IsHeldAsync(ct)) return;</c></remarks>
    public abstract Task<bool> IsHeldAsync(CancellationToken cancellationToken = default);

    /// <summary>Releases the lock if it is still this acquisition's; idempotent.</summary>
    /// <remarks>Usage: <c>await held.DisposeAsync();</c></remarks>
    public abstract ValueTask DisposeAsync();
}
