using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// Runs a blocking lock call (<c>flock</c>, <c>fcntl</c>), which has no timeout, on a thread of its own, up to a
/// deadline. Past the deadline nobody waits for it any more, and should the thread get the lock later it closes the
/// handle, letting go at once. The threads are kept for the next wait: with several processes taking turns at a
/// store, every call waits, and starting a thread for each took CPU from the process holding the store.
/// </summary>
internal static class BlockingLock
{
    /// <summary>A thread that has had nothing to wait for this long ends.</summary>
    private static readonly TimeSpan IdleLife = TimeSpan.FromSeconds(10);

    private static readonly object Gate = new();
    private static readonly List<Waiter> Idle = [];

    /// <summary>Test seam: told when a thread that waited is kept for the next wait.</summary>
    internal static Action? Kept { get; set; }

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

        // Completed on the waiting thread, and the caller goes on in it: no hop to the pool on the way to the mutex.
        var taken = new TaskCompletionSource<bool>();
        Run(() =>
        {
            try
            {
                take(handle);
                bool kept;
                lock (gate)
                {
                    kept = !abandoned;
                    if (!kept)
                    {
                        handle.Dispose();
                    }
                }

                taken.SetResult(kept);
            }
            catch (Exception e)
            {
                taken.SetException(e);
            }
        });

        try
        {
            return await taken.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            lock (gate)
            {
                abandoned = true;
                if (taken.Task.IsCompletedSuccessfully && taken.Task.Result)
                {
                    handle.Dispose();
                }
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return false;
    }

    /// <summary>Runs <paramref name="work"/> on a kept thread that has nothing to do, or on a new one.</summary>
    private static void Run(Action work)
    {
        Waiter? waiter = null;
        lock (Gate)
        {
            if (Idle.Count > 0)
            {
                waiter = Idle[^1];
                Idle.RemoveAt(Idle.Count - 1);
            }
        }

        (waiter ?? Waiter.Start()).Give(work);
    }

    private sealed class Waiter
    {
        private readonly object _gate = new();
        private Action? _work;

        public static Waiter Start()
        {
            var waiter = new Waiter();
            new Thread(waiter.Loop) { IsBackground = true, Name = "AgentLocks lock wait" }.Start();
            return waiter;
        }

        public void Give(Action work)
        {
            lock (_gate)
            {
                _work = work;
                Monitor.Pulse(_gate);
            }
        }

        private void Loop()
        {
            while (true)
            {
                Action work;
                lock (_gate)
                {
                    while (_work is null)
                    {
                        if (!Monitor.Wait(_gate, IdleLife) && Retire())
                        {
                            return;
                        }
                    }

                    work = _work;
                    _work = null;
                }

                work();
                lock (Gate)
                {
                    Idle.Add(this);
                }

                Kept?.Invoke();
            }
        }

        /// <summary>Leaves the kept threads, unless a caller has just taken this one (its work is on the way).</summary>
        private bool Retire()
        {
            lock (Gate)
            {
                return Idle.Remove(this);
            }
        }
    }
}
