using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// How long the store mutex's queue is kept after a release (<see cref="StoreMutex"/>) so that beadboard, which does
/// not queue, gets its turn:
/// <list type="bullet">
/// <item><b>beadboard's window.</b> A release in the first <see cref="Window"/> of each <see cref="Period"/> of the
/// machine's monotonic clock (the same clock in every process, so no process has to tell another) keeps the queue
/// for a whole window: however busy the store, <c>.lock</c> is then free for 100 ms every 4.5 s. beadboard tries
/// every 50 ms for 5 s (100 tries), so its tries always span a window, and one of them falls inside it even when a
/// loaded machine stretches its 50 ms to nearly twice that. It costs a busy store 2% of its time and an idle one
/// nothing (no release, no window). Rarer windows would not cover beadboard's 5 s; more frequent ones delay more
/// calls: a window holds up every call already waiting (one per process), and with one every second 1.5% of eight
/// busy processes' calls waited a whole window, which put their p99 over 50 ms.</item>
/// <item><b>beadboard at work.</b> Once this process sees beadboard (its <c>.lock</c> met, or the directory changed
/// while we kept the queue in its window), every release keeps the queue as long again as the mutex was held (at most
/// 50 ms), for the next <see cref="BeadboardMemory"/>: <c>.lock</c> is free half the time, as much as beadboard
/// needs when several of its writers and ours share a root.</item>
/// </list>
/// The gaps are fractions of a millisecond to tens of them, below what timers resolve
/// (<see cref="Task.Delay(TimeSpan)"/> rounds to whole milliseconds and fires late under load), so a pool thread
/// sleeps them with <c>nanosleep</c>, using no CPU while it waits.
/// </summary>
internal static partial class QueueRelease
{
    /// <summary>beadboard waits 50 ms between tries; the window is twice that.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);

    /// <summary>One window every 4.5 s of <see cref="Stopwatch"/> time: inside the 5 s that beadboard's tries last.</summary>
    private static readonly long Period = Stopwatch.Frequency * 9 / 2;

    /// <summary>The longest the queue is kept after a release while beadboard is at work: one of its retry intervals.</summary>
    private static readonly TimeSpan MaxBeadboardGap = TimeSpan.FromMilliseconds(50);

    /// <summary>How long beadboard counts as at work after it was last seen (a run of its writes, then quiet).</summary>
    private static readonly TimeSpan BeadboardMemory = TimeSpan.FromSeconds(10);

    private static Task s_idle = Task.CompletedTask;
    private static long s_beadboardSeen = long.MinValue / 2;

    /// <summary>
    /// Completes once this process's latest kept queue is let go. The
    /// process's next call waits for it here, rather than on the queue's lock in a thread of its own: it would wait as
    /// long, and a thread per call costs more than the gap.
    /// </summary>
    public static Task Idle => Volatile.Read(ref s_idle);

    /// <summary>beadboard holds or has just held a store mutex of this process.</summary>
    public static void BeadboardSeen() => Volatile.Write(ref s_beadboardSeen, Stopwatch.GetTimestamp());

    /// <summary>
    /// How long the queue is kept after a release at <paramref name="now"/> (a <see cref="Stopwatch"/> timestamp) of a
    /// mutex held for <paramref name="held"/>, beadboard last seen at <paramref name="beadboardSeen"/>; and whether this
    /// is beadboard's window, in which a change of the directory is beadboard's.
    /// </summary>
    public static (TimeSpan Keep, bool InWindow) KeepFor(long now, TimeSpan held, long beadboardSeen)
        => Stopwatch.GetElapsedTime(beadboardSeen, now) < BeadboardMemory
            ? (TimeSpan.FromTicks(Math.Min(held.Ticks, MaxBeadboardGap.Ticks)), false)
            : now % Period < Window.TotalSeconds * Stopwatch.Frequency ? (Window, true) : (TimeSpan.Zero, false);

    /// <summary>How long the queue is to be kept after a release now of a mutex held for <paramref name="held"/> (<see cref="KeepFor"/>).</summary>
    public static (TimeSpan Keep, bool InWindow) Plan(TimeSpan held)
        => Kept ? KeepFor(Stopwatch.GetTimestamp(), held, Volatile.Read(ref s_beadboardSeen)) : (TimeSpan.Zero, false);

    /// <summary>Test seam: false keeps the queue for nobody, so a test's commits are always handed over (<see cref="StoreMutex.HandOver"/>).</summary>
    internal static bool Kept { get; set; } = true;

    /// <summary>Lets go of <paramref name="queue"/> (the reservations directory, locked) now or after <paramref name="plan"/>'s time (<see cref="Plan"/>).</summary>
    public static void After(SafeFileHandle queue, (TimeSpan Keep, bool InWindow) plan)
    {
        var now = Stopwatch.GetTimestamp();
        var (keep, watch) = plan;
        if (keep <= TimeSpan.Zero)
        {
            queue.Dispose();
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref s_idle, done.Task);
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                // Nobody of ours touches the directory while we keep the queue: a change in the window is beadboard's.
                var before = watch ? Native.Stat(queue) : default;
                SleepUntil(now, keep);
                if (watch && Native.Stat(queue) != before)
                {
                    BeadboardSeen();
                }
            }
            finally
            {
                queue.Dispose();
                done.SetResult();
            }
        }, null);
    }

    private static void SleepUntil(long start, TimeSpan gap)
    {
        var left = gap - Stopwatch.GetElapsedTime(start);
        if (left > TimeSpan.Zero)
        {
            var request = new Timespec { Seconds = left.Ticks / TimeSpan.TicksPerSecond, Nanoseconds = left.Ticks % TimeSpan.TicksPerSecond * 100 };
            _ = Nanosleep(ref request, IntPtr.Zero); // woken early by a signal: the gap is only shorter
        }
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
