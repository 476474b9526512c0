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
    private readonly CancellationTokenSource _lost = new();
    private readonly object _gate = new();
    private readonly ITimer _monitor;
    private int _ticking;
    private int _checks;
    private bool _disposed;

    internal WorkerLockHandle(WorkerIdentityLock owner, WorkerLockInfo info, WorkerLockStatus? tookOver, TimeProvider time, TimeSpan monitorInterval)
    {
        _owner = owner;
        Info = info;
        TookOver = tookOver;
        _monitor = time.CreateTimer(static handle => ((WorkerLockHandle)handle!).OnMonitorTick(), this, monitorInterval, monitorInterval);
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
    public CancellationToken HandleLost => _lost.Token;

    /// <summary>The monitor's latest check; tests await it after advancing a fake clock.</summary>
    internal Task LastMonitorTick { get; private set; } = Task.CompletedTask;

    /// <summary>How many checks the monitor has started; tests count ticks with it.</summary>
    internal int MonitorChecks => Volatile.Read(ref _checks);

    /// <summary>Reads the lock file: true while it is still this acquisition's; cancels <see cref="HandleLost"/> when not.</summary>
    /// <remarks>Usage: <c>if (!await held.IsHeldAsync(ct)) return;</c></remarks>
    public async Task<bool> IsHeldAsync(CancellationToken cancellationToken = default)
    {
        var held = await _owner.IsOwnedAsync(Info, cancellationToken).ConfigureAwait(false);
        if (!held)
        {
            MarkLost();
        }

        return held;
    }

    /// <summary>Stops the monitor and releases the lock if it is still this acquisition's; idempotent.</summary>
    /// <remarks>Usage: <c>await held.DisposeAsync();</c></remarks>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _monitor.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _owner.ReleaseOwnedAsync(Info, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _lost.Dispose();
            }
        }
    }

    private void OnMonitorTick()
    {
        // One check at a time: a slow disk must not pile up ticks.
        if (Interlocked.CompareExchange(ref _ticking, 1, 0) == 0)
        {
            Interlocked.Increment(ref _checks);
            LastMonitorTick = CheckAsync();
        }
    }

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
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private void MarkLost()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _monitor.Dispose();
                _lost.Cancel();
            }
        }
    }
}
