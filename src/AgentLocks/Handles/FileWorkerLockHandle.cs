namespace AgentLocks;

/// <summary>
/// A held lock file: released by its owner token. A monitor re-reads the lock file every
/// <see cref="WorkerLockRequest.MonitorInterval"/> (on the lock's <see cref="TimeProvider"/>) and cancels
/// <see cref="HandleLost"/> once the file is gone or someone else's.
/// </summary>
internal sealed class FileWorkerLockHandle : WorkerLockHandle
{
    private readonly WorkerIdentityLock _owner;
    private readonly LossMonitor _monitor;

    internal FileWorkerLockHandle(WorkerIdentityLock owner, WorkerLockInfo info, WorkerLockStatus? tookOver, TimeProvider time, TimeSpan monitorInterval)
        : base(owner.Worker, info, tookOver)
    {
        _owner = owner;
        _monitor = new LossMonitor(time, monitorInterval, CheckAsync);
    }

    /// <inheritdoc/>
    public override CancellationToken HandleLost => _monitor.Lost;

    /// <summary>The monitor's latest check; tests await it after advancing a fake clock.</summary>
    internal Task LastMonitorTick => _monitor.LastTick;

    /// <summary>How many checks the monitor has started; tests count ticks with it.</summary>
    internal int MonitorChecks => _monitor.Checks;

    /// <summary>Reads the lock file: true while it is still this acquisition's; cancels <see cref="HandleLost"/> when not.</summary>
    public override async Task<bool> IsHeldAsync(CancellationToken cancellationToken = default)
    {
        var held = await _owner.IsOwnedAsync(Info, cancellationToken).ConfigureAwait(false);
        if (!held)
        {
            _monitor.MarkLost();
        }

        return held;
    }

    /// <summary>Stops the monitor and releases the lock if it is still this acquisition's; idempotent.</summary>
    public override ValueTask DisposeAsync()
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
