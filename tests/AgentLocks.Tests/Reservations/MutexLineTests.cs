using System.Collections.Concurrent;
using System.Diagnostics;

namespace AgentLocks.Tests.Reservations;

/// <summary>
/// The store mutex's line (<see cref="QueueTicket"/>) and the window it leaves beadboard (<see cref="QueueRelease"/>).
/// The line's seam is one per process, so these tests are one class and run one at a time.
/// </summary>
public sealed class MutexLineTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempRoot _root = new();

    public MutexLineTests() => Directory.CreateDirectory(_root.File("reservations"));

    private string LockPath => _root.File("reservations", ".lock");

    public void Dispose()
    {
        QueueTicket.InLine = null;
        _root.Dispose();
    }

    [Fact]
    public async Task Waiters_get_the_mutex_in_the_order_they_came()
    {
        var holder = await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None);
        var order = new ConcurrentQueue<int>();
        List<Task> waiters = [];
        for (var i = 1; i <= 6; i++)
        {
            var inLine = NextInLine();
            var index = i;
            waiters.Add(Task.Run(async () =>
            {
                using (await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None))
                {
                    order.Enqueue(index);
                }
            }));

            // The next waiter comes only once this one has its number: arrival order is known.
            Assert.Equal(i, await inLine.WaitAsync(Bound));
        }

        // The holder lets go and asks again at once, as a process's next call does: it is now behind everyone
        // already waiting, not first again while the kernel is still scheduling the waiter it woke.
        holder.Dispose();
        using (await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None))
        {
            order.Enqueue(0);
        }

        await Task.WhenAll(waiters).WaitAsync(Bound);
        Assert.Equal([1, 2, 3, 4, 5, 6, 0], order);
    }

    [Fact]
    public async Task A_process_that_lets_go_and_asks_again_waits_behind_one_that_came_before_it()
    {
        var holder = await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None);

        // The waiter has its number and stops there, before it even reaches the mutex's own queue.
        var line = LockPath + ".queue";
        using var drawn = new ManualResetEventSlim();
        using var go = new ManualResetEventSlim();
        QueueTicket.InLine = (path, number) =>
        {
            if (path == line && number == 1)
            {
                drawn.Set();
                go.Wait();
            }
        };
        var waiter = Task.Run(async () => (await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None)).Dispose());
        Assert.True(drawn.Wait(Bound));

        // The holder lets go and asks again: the mutex is free, but its turn is after the waiter's.
        holder.Dispose();
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => StoreMutex.AcquireAsync(LockPath, TimeSpan.FromMilliseconds(300), CancellationToken.None));
        Assert.Equal(ErrorCode.Locked, error.Code);
        Assert.Contains("the line did not move", error.Message, StringComparison.Ordinal);

        go.Set();
        await waiter.WaitAsync(Bound);
        (await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task A_caller_stopped_while_drawing_its_number_holds_the_others_up_only_until_their_deadline()
    {
        // As a caller stopped (SIGSTOP) between taking the counter's lock and letting it go: the counter stays locked.
        (await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None)).Dispose();
        using var stopped = Native.OpenNoFollow(LockPath + ".queue", write: true, create: false, out _)!;
        Assert.True(Native.LockRange(stopped, 0, sizeof(long), wait: false));

        // LOCKED at the deadline, not a hang (the bound only turns a hang into a failure).
        var error = await Assert.ThrowsAsync<AgentLocksException>(
            () => Task.Run(() => StoreMutex.AcquireAsync(LockPath, TimeSpan.FromMilliseconds(300), CancellationToken.None)).WaitAsync(Bound));
        Assert.Equal(ErrorCode.Locked, error.Code);

        // Once it goes on, so does everyone.
        stopped.Dispose();
        (await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task A_waiter_killed_in_line_does_not_hold_up_those_behind_it()
    {
        using var holder = ReservationTakerProcess.Start("hold-mutex", _root.Path);
        Assert.Equal("in line 0", await holder.ReadLineAsync());
        Assert.Equal("holding", await holder.ReadLineAsync());
        using var killed = ReservationTakerProcess.Start("hold-mutex", _root.Path);
        Assert.Equal("in line 1", await killed.ReadLineAsync());

        var inLine = NextInLine();
        var store = new FileReservationStore(_root.Path, new ReservationStoreOptions { LockTimeout = Bound });
        var registering = store.RegisterAgentAsync(AgentId.Parse("agent-a"));
        Assert.Equal(2, await inLine.WaitAsync(Bound));

        // kill -9 of the one in front of us while it waits, then of the holder: the kernel lets go of their places.
        await killed.KillAsync();
        await holder.KillAsync();
        var watch = Stopwatch.StartNew();
        await registering.WaitAsync(Bound);
        Assert.True(watch.Elapsed < Bound / 2, $"took {watch.Elapsed}");
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public void A_release_in_beadboards_window_keeps_the_mutex_free_for_a_whole_window_and_only_there()
    {
        var ms = Stopwatch.Frequency / 1000;
        var period = 4_500 * ms;
        var start = 100 * period; // a window starts every 4.5 s of the monotonic clock
        var longAgo = long.MinValue / 2;
        var held = TimeSpan.FromMilliseconds(2);
        var window = (TimeSpan.FromMilliseconds(100), true);

        // 10 ms and 99 ms into a period: the window (100 ms) from the release on, watched for beadboard.
        Assert.Equal(window, QueueRelease.KeepFor(start + (10 * ms), held, longAgo));
        Assert.Equal(window, QueueRelease.KeepFor(start + (99 * ms), held, longAgo));

        // The rest of the period: the queue goes at once.
        Assert.Equal((TimeSpan.Zero, false), QueueRelease.KeepFor(start + (101 * ms), held, longAgo));
        Assert.Equal((TimeSpan.Zero, false), QueueRelease.KeepFor(start + (1_000 * ms), held, longAgo));
        Assert.Equal((TimeSpan.Zero, false), QueueRelease.KeepFor(start + period - ms, held, longAgo));
        Assert.Equal(window, QueueRelease.KeepFor(start + period, held, longAgo));

        // beadboard seen 5 s ago: every release keeps it as long again as it was held, up to 50 ms.
        var now = start + (2_000 * ms);
        Assert.Equal((held, false), QueueRelease.KeepFor(now, held, now - (5_000 * ms)));
        Assert.Equal((TimeSpan.FromMilliseconds(50), false), QueueRelease.KeepFor(now, TimeSpan.FromSeconds(1), now - (5_000 * ms)));

        // Seen 11 s ago: back to the window alone.
        Assert.Equal((TimeSpan.Zero, false), QueueRelease.KeepFor(now, held, now - (11_000 * ms)));
    }

    [Fact]
    public async Task A_live_beadboard_lock_is_told_from_ours()
    {
        // beadboard's file: its PID as text, no newline, no OS lock; a live process that started before it.
        await File.WriteAllTextAsync(LockPath, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var theirs = await StoreMutex.InspectAsync(LockPath, removeStale: false, CancellationToken.None);
        Assert.Equal((LockVerdict.Held, true), (theirs.Verdict, theirs.Foreign));

        File.Delete(LockPath);
        using (await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None))
        {
            var ours = await StoreMutex.InspectAsync(LockPath, removeStale: false, CancellationToken.None);
            Assert.Equal((LockVerdict.Held, false), (ours.Verdict, ours.Foreign));
        }
    }

    [Theory]
    [InlineData("symlink")]
    [InlineData("fifo")]
    [InlineData("directory")]
    public async Task A_line_file_that_is_not_a_regular_file_is_left_as_it_is_and_the_mutex_still_works(string kind)
    {
        var line = LockPath + ".queue";
        var outside = _root.File("outside.txt");
        await File.WriteAllTextAsync(outside, "not ours");
        switch (kind)
        {
            case "symlink":
                File.CreateSymbolicLink(line, outside);
                break;
            case "fifo":
                using (var mkfifo = Process.Start("mkfifo", line))
                {
                    await mkfifo.WaitForExitAsync();
                }

                break;
            default:
                Directory.CreateDirectory(line);
                break;
        }

        // Never followed, written or removed, and never a hang (a FIFO opened without O_NONBLOCK would block): the
        // callers only go unordered.
        for (var i = 0; i < 2; i++)
        {
            (await StoreMutex.AcquireAsync(LockPath, Bound, CancellationToken.None)).Dispose();
        }

        Assert.Equal("not ours", await File.ReadAllTextAsync(outside));
        Assert.Equal(kind switch { "symlink" => 0xA000, "fifo" => 0x1000, _ => 0x4000 }, Native.StatNoFollow(line)!.Value.Mode & 0xF000);
    }

    /// <summary>The number the next caller draws in this test's line.</summary>
    private Task<long> NextInLine()
    {
        var line = LockPath + ".queue";
        var drawn = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        QueueTicket.InLine = (path, number) =>
        {
            if (path == line)
            {
                drawn.TrySetResult(number);
            }
        };
        return drawn.Task;
    }
}
