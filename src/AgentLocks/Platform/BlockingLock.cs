using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// Runs a blocking lock call (<c>flock</c>, <c>fcntl</c>), which has no timeout, on a thread of its own, up to a
/// deadline. Past the deadline nobody waits for it any more, and should the thread get the lock later it closes the
/// handle, letting go at once.
/// </summary>
internal static class BlockingLock
{
    /// <summary>What is left of <paramref name="timeout"/> since <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp); an infinite one stays so.</summary>
    public static TimeSpan Left(long started, TimeSpan timeout)
        => timeout == Timeout.InfiniteTimeSpan ? timeout : TimeSpan.FromTicks(Math.Max(0, (timeout - Stopwatch.GetElapsedTime(started)).Ticks));

    /// <summary>
    /// True once <paramref name="take"/> returned on <paramref name="handle"/>; false at the deadline, and then the
    /// handle is the waiting thread's to close. Cancellation throws, and leaves the handle to that thread too.
    /// </summary>
    public static async Task<bool> TakeAsync(SafeFileHandle handle, Action<SafeFileHandle> take, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var gate = new object();
        var abandoned = false;
        var waiting = Task.Factory.StartNew(() =>
        {
            take(handle);
            lock (gate)
            {
                if (abandoned)
                {
                    handle.Dispose();
                }

                return !abandoned;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            // Once taken, the caller goes on in the thread that took it: no hop to the pool on the way to the mutex.
            return await waiting.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            lock (gate)
            {
                abandoned = true;
                if (waiting.IsCompletedSuccessfully && waiting.Result)
                {
                    handle.Dispose();
                }
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return false;
    }
}
