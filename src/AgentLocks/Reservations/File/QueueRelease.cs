using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// Lets go of the store mutex's queue a given time after a release (<see cref="StoreMutex"/>): the gap in which
/// beadboard, which does not queue, finds <c>.lock</c> free. The gaps are a fraction of a millisecond to a few, below
/// what timers resolve (<see cref="Task.Delay(TimeSpan)"/> rounds to whole milliseconds and fires late under load), so
/// a pool thread sleeps them with <c>nanosleep</c>, using no CPU while it waits.
/// </summary>
internal static partial class QueueRelease
{
    private static Task s_idle = Task.CompletedTask;

    /// <summary>
    /// Completes once this process's latest gap is over. The process's next call waits for it here, rather than on the
    /// queue's lock in a thread of its own: it would wait as long, and a thread per call costs more than the gap.
    /// </summary>
    public static Task Idle => Volatile.Read(ref s_idle);

    /// <summary>Closes <paramref name="queue"/> (leaving the queue) <paramref name="gap"/> from now.</summary>
    public static void After(SafeFileHandle queue, TimeSpan gap)
    {
        if (gap <= TimeSpan.Zero)
        {
            queue.Dispose();
            return;
        }

        var due = Stopwatch.GetTimestamp() + (long)(gap.TotalSeconds * Stopwatch.Frequency);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref s_idle, done.Task);
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (left > TimeSpan.Zero)
                {
                    var request = new Timespec { Seconds = left.Ticks / TimeSpan.TicksPerSecond, Nanoseconds = left.Ticks % TimeSpan.TicksPerSecond * 100 };
                    _ = Nanosleep(ref request, IntPtr.Zero); // woken early by a signal: the gap is only shorter
                }
            }
            finally
            {
                queue.Dispose();
                done.SetResult();
            }
        }, null);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    private static partial int Nanosleep(ref Timespec request, IntPtr remaining);
}
