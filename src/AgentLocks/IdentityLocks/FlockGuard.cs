using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// An exclusive <c>flock(2)</c> on <c>agent.lock.flock</c>, the file current gastown flocks around its
/// acquire: holding it serialises every read-decide-write of the lock file, ours and gastown's alike.
/// It is held for one operation only, never for the lifetime of the identity lock.
/// </summary>
internal sealed class FlockGuard : IDisposable
{
    private readonly SafeFileHandle _handle;

    private FlockGuard(SafeFileHandle handle) => _handle = handle;

    public static async Task<FlockGuard> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var handle = Native.OpenLockFile(path);
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

            return new FlockGuard(handle);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Closing the descriptor releases the flock.</summary>
    public void Dispose() => _handle.Dispose();
}
