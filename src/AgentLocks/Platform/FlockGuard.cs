using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// An exclusive <c>flock(2)</c> on <c>agent.lock.flock</c>, the file current gastown flocks around its
/// acquire: holding it serialises every read-decide-write of the lock file, ours and gastown's alike.
/// It is held for one operation only, never for the lifetime of the identity lock, and owns the handle on
/// <c>.runtime</c> that operation works through.
/// </summary>
internal sealed class FlockGuard : IDisposable
{
    private readonly SafeFileHandle _handle;

    private FlockGuard(RuntimeDirectory runtime, SafeFileHandle handle)
    {
        Runtime = runtime;
        _handle = handle;
    }

    /// <summary>The worker's <c>.runtime</c>, through which the lock file is read and written while the flock is held.</summary>
    public RuntimeDirectory Runtime { get; }

    /// <summary>Flocks <c>agent.lock.flock</c> in <paramref name="runtime"/>; the guard then owns <paramref name="runtime"/>.</summary>
    public static async Task<FlockGuard> AcquireAsync(RuntimeDirectory runtime, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var handle = runtime.OpenFlockFile();
        try
        {
            if (!Native.TryLockExclusive(handle))
            {
                // Contended: block on a pool thread. If the caller gives up first, the lock is closed
                // (and so released) as soon as the blocked call returns.
                var wait = Task.Run(() => Native.LockExclusive(handle), CancellationToken.None);
                try
                {
                    await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _ = wait.ContinueWith(_ => handle.Dispose(), TaskScheduler.Default);
                    throw;
                }
            }

            return new FlockGuard(runtime, handle);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Closing the descriptor releases the flock.</summary>
    public void Dispose()
    {
        _handle.Dispose();
        Runtime.Dispose();
    }
}
