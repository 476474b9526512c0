using Microsoft.Win32.SafeHandles;

namespace AgentLocks.Tests.Platform;

/// <summary>Runs alone: it watches the threads that every store's waits share.</summary>
[CollectionDefinition(nameof(BlockingLockTests), DisableParallelization = true)]
public sealed class BlockingLockCollection;

/// <summary>Blocking lock calls run on threads that are kept from one wait to the next.</summary>
[Collection(nameof(BlockingLockTests))]
public sealed class BlockingLockTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_thread_that_waited_is_kept_for_the_next_wait()
    {
        using var kept = new SemaphoreSlim(0);
        BlockingLock.Kept = () => kept.Release();
        try
        {
            var first = await WaitingThreadAsync();
            Assert.True(await kept.WaitAsync(Bound), "the thread was not kept");
            var second = await WaitingThreadAsync();
            Assert.Equal(first, second);
        }
        finally
        {
            BlockingLock.Kept = null;
        }
    }

    [Fact]
    public async Task A_wait_past_its_deadline_returns_false_and_the_lock_got_later_is_let_go()
    {
        using var kept = new SemaphoreSlim(0);
        BlockingLock.Kept = () => kept.Release();
        try
        {
            using var release = new ManualResetEventSlim();
            var handle = File.OpenHandle(Path.GetTempFileName(), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.DeleteOnClose);
            Assert.False(await BlockingLock.TakeAsync(handle, _ => release.Wait(Bound), TimeSpan.FromMilliseconds(10), CancellationToken.None));
            Assert.False(handle.IsClosed);

            release.Set(); // the lock comes, after the deadline: nobody wants it any more
            Assert.True(await kept.WaitAsync(Bound), "the waiting thread did not finish");
            Assert.True(handle.IsClosed);
        }
        finally
        {
            BlockingLock.Kept = null;
        }
    }

    /// <summary>The thread a blocking call ran on.</summary>
    private static async Task<int> WaitingThreadAsync()
    {
        var thread = 0;
        using var handle = new SafeFileHandle(-1, ownsHandle: false);
        Assert.True(await BlockingLock.TakeAsync(handle, _ => thread = Environment.CurrentManagedThreadId, Bound, CancellationToken.None));
        return thread;
    }
}
