namespace AgentLocks;

/// <summary>
/// A held worker identity lock. Disposing releases it, once, and only if the lock file is still this
/// acquisition's (by its owner token): a lock taken over or force-released meanwhile is left to its new holder.
/// </summary>
/// <remarks>Usage: <c>await using var held = await new WorkerIdentityLock(dir).AcquireAsync(cancellationToken: ct);</c></remarks>
public sealed class WorkerLockHandle : ILockHandle
{
    private readonly WorkerIdentityLock _owner;
    private readonly CancellationTokenSource _lost = new();
    private int _disposed;

    internal WorkerLockHandle(WorkerIdentityLock owner, WorkerLockInfo info, WorkerLockStatus? tookOver)
    {
        _owner = owner;
        Info = info;
        TookOver = tookOver;
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

    /// <summary>Cancelled once <see cref="IsHeldAsync"/> or disposal finds the lock is no longer this acquisition's.</summary>
    /// <remarks>Usage: <c>await WorkAsync(held.HandleLost);</c></remarks>
    public CancellationToken HandleLost => _lost.Token;

    /// <summary>Reads the lock file: true while it is still this acquisition's; cancels <see cref="HandleLost"/> when not.</summary>
    /// <remarks>Usage: <c>if (!await held.IsHeldAsync(ct)) return;</c></remarks>
    public async Task<bool> IsHeldAsync(CancellationToken cancellationToken = default)
    {
        var held = await _owner.IsOwnedAsync(Info, cancellationToken).ConfigureAwait(false);
        if (!held && Volatile.Read(ref _disposed) == 0)
        {
            await _lost.CancelAsync().ConfigureAwait(false);
        }

        return held;
    }

    /// <summary>Releases the lock if it is still this acquisition's; idempotent.</summary>
    /// <remarks>Usage: <c>await held.DisposeAsync();</c></remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _owner.ReleaseOwnedAsync(Info, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _lost.Dispose();
        }
    }
}
