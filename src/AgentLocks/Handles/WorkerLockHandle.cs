namespace AgentLocks;

/// <summary>
/// A held worker identity lock. Disposing releases it, once, and only if the lock file is still this
/// acquisition's (by its owner token): a lock taken over or force-released meanwhile is left to its new holder.
/// A monitor re-reads the lock file every <see cref="WorkerLockRequest.MonitorInterval"/> (on the lock's
/// <see cref="TimeProvider"/>) and cancels <see cref="HandleLost"/> once the file is gone or someone else's.
/// </summary>
/// <remarks>Usage: <c>await using var held = await new WorkerIdentityLock(dir).AcquireAsync(cancellationToken: ct);</c></remarks>
public sealed class WorkerLockHandle : ILockHandle
{
    private readonly WorkerIdentityLock _owner;
    private readonly LossMonitor _monitor;

    internal WorkerLockHandle(WorkerIdentityLock owner, WorkerLockInfo info, WorkerLockStatus? tookOver, TimeProvider time, TimeSpan monitorInterval)
    {
        _owner = owner;
        Info = info;
        TookOver = tookOver;
        _monitor = new LossMonitor(time, monitorInterval, CheckAsync);
    }

    /// <summary>The worker directory.</summary>
    /// <remarks>Usage: <c>held.WorkerDirectory</c></remarks>
    public string WorkerDirectory => _owner.WorkerDirectory;

    /// <summary>What this acquisition wrote into the lock file.</summary>
    /// <remarks>Usage: <c>held.Info.Pid</c></remarks>
    public WorkerLockInfo Info { get; }

    /// <summary>The stale lock this acquisition replaced, if any.</summary>
    /// <remarks>Usage: <c>if (held.TookOver is { } old) log(old.Reason);</c></remarks>
    public WorkerLockStatus? TookOver { get; }

    /// <summary>
    /// Cancelled once the monitor, <see cref="IsHeldAsync"/> or disposal finds the lock is no longer this
    /// acquisition's: force-released, taken over, damaged or removed.
    /// </summary>
    /// <remarks>Usage: <c>await WorkAsync(held.HandleLost);</c></remarks>
    public CancellationToken HandleLost => _monitor.Lost;

    /// <summary>The monitor's latest check; tests await it after advancing a fake clock.</summary>
    internal Task LastMonitorTick => _monitor.LastTick;

    /// <summary>How many checks the monitor has started; tests count ticks with it.</summary>
    internal int MonitorChecks => _monitor.Checks;

    /// <summary>Reads the lock file: true while it is still this acquisition's; cancels <see cref="HandleLost"/> when not.</summary>
    /// <remarks>Usage: <c>if (!await held.IsHeldAsync(ct)) return;</c></remarks>
    public async Task<bool> IsHeldAsync(CancellationToken cancellationToken = default)
    {
        var held = await _owner.IsOwnedAsync(Info, cancellationToken).ConfigureAwait(false);
        if (!held)
        {
            _monitor.MarkLost();
        }

        return held;
    }

    /// <summary>Stops the monitor and releases the lock if it is still this acquisition's; idempotent.</summary>
    /// <remarks>Usage: <c>await held.DisposeAsync();</c></remarks>
    public ValueTask DisposeAsync()
        => _monitor.DisposeAsync(() => _owner.ReleaseOwnedAsync(Info, CancellationToken.None));

    private async Task CheckAsync()
    {
        try
        {
            await IsHeldAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AgentLocksException)
        {
            // The file could not be read this time: that says nothing about its owner, so the next tick asks again.
        }
    }
}
