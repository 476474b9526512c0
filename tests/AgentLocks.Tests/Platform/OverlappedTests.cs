namespace AgentLocks.Tests.Platform;

/// <summary>A commit's two syncs run at once, and a failure of either is the call's.</summary>
public sealed class OverlappedTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public void The_two_calls_run_at_the_same_time()
    {
        using var secondRunning = new ManualResetEventSlim();
        using var firstRunning = new ManualResetEventSlim();
        var overlapped = false;

        // Each waits for the other to be running: only calls that run at once both get through.
        Overlapped.Run(
            () =>
            {
                firstRunning.Set();
                overlapped = secondRunning.Wait(Bound);
            },
            () =>
            {
                secondRunning.Set();
                Assert.True(firstRunning.Wait(Bound));
            });

        Assert.True(overlapped);
    }

    [Fact]
    public void A_failure_of_the_second_is_thrown_once_both_are_done()
    {
        var firstDone = false;
        var thrown = Assert.Throws<IOException>(() => Overlapped.Run(() => firstDone = true, () => throw new IOException("fdatasync failed")));
        Assert.Equal("fdatasync failed", thrown.Message);
        Assert.True(firstDone);
    }

    [Fact]
    public void A_failure_of_the_first_is_thrown_after_the_second_is_done()
    {
        var secondDone = false;
        var thrown = Assert.Throws<IOException>(() => Overlapped.Run(() => throw new IOException("fsync failed"), () => secondDone = true));
        Assert.Equal("fsync failed", thrown.Message);
        Assert.True(secondDone);
    }

    [Fact]
    public void Calls_from_many_threads_at_once_all_complete()
    {
        var done = 0;
        Parallel.For(0, 64, _ => Overlapped.Run(() => Interlocked.Increment(ref done), () => Interlocked.Increment(ref done)));
        Assert.Equal(128, done);
    }
}
