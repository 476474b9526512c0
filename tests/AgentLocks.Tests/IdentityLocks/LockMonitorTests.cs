using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Tests.IdentityLocks;

/// <summary>The handle's monitor: HandleLost fires by itself, on the lock's clock, without the holder asking.</summary>
public sealed class LockMonitorTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly TempWorker _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 19, 0, 0, TimeSpan.Zero));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_force_release_by_another_instance_fires_HandleLost_after_one_interval()
    {
        await using var held = await new WorkerIdentityLock(_temp.Worker, _time).AcquireAsync(new WorkerLockRequest { MonitorInterval = Interval });
        Assert.NotNull(await new WorkerIdentityLock(_temp.Worker).ForceReleaseAsync());

        _time.Advance(Interval - TimeSpan.FromTicks(1));
        Assert.Equal(0, ((FileWorkerLockHandle)held).MonitorChecks);
        Assert.False(held.HandleLost.IsCancellationRequested);

        _time.Advance(TimeSpan.FromTicks(1));
        await ((FileWorkerLockHandle)held).LastMonitorTick;
        Assert.True(held.HandleLost.IsCancellationRequested);

        // Once lost, the monitor stops.
        _time.Advance(Interval * 5);
        Assert.Equal(1, ((FileWorkerLockHandle)held).MonitorChecks);
    }

    [Fact]
    public async Task A_lock_taken_over_by_another_holder_fires_HandleLost_and_disposal_leaves_the_new_lock()
    {
        var workerLock = new WorkerIdentityLock(_temp.Worker, _time);
        await using var first = await workerLock.AcquireAsync(new WorkerLockRequest { MonitorInterval = Interval });
        await workerLock.ForceReleaseAsync();
        await using var second = await workerLock.AcquireAsync(new WorkerLockRequest { MonitorInterval = Timeout.InfiniteTimeSpan });

        _time.Advance(Interval);
        await ((FileWorkerLockHandle)first).LastMonitorTick;
        Assert.True(first.HandleLost.IsCancellationRequested);
        await first.DisposeAsync();
        Assert.Equal(second.Info.OwnerToken, (await workerLock.ReadAsync())!.OwnerToken);
    }

    [Fact]
    public async Task A_removed_worker_directory_fires_HandleLost()
    {
        await using var held = await new WorkerIdentityLock(_temp.Worker, _time).AcquireAsync(new WorkerLockRequest { MonitorInterval = Interval });
        Directory.Delete(_temp.Worker, recursive: true);

        _time.Advance(Interval);
        await ((FileWorkerLockHandle)held).LastMonitorTick;
        Assert.True(held.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task An_untouched_lock_is_checked_every_interval_and_never_fires()
    {
        await using var held = await new WorkerIdentityLock(_temp.Worker, _time).AcquireAsync(new WorkerLockRequest { MonitorInterval = Interval });
        for (var i = 1; i <= 50; i++)
        {
            _time.Advance(Interval);
            Assert.Equal(i, ((FileWorkerLockHandle)held).MonitorChecks);
            await ((FileWorkerLockHandle)held).LastMonitorTick;
            Assert.False(held.HandleLost.IsCancellationRequested);
        }

        // Still watching after all those quiet ticks.
        await new WorkerIdentityLock(_temp.Worker).ForceReleaseAsync();
        _time.Advance(Interval);
        await ((FileWorkerLockHandle)held).LastMonitorTick;
        Assert.True(held.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task The_default_interval_is_ten_seconds()
    {
        await using var held = await new WorkerIdentityLock(_temp.Worker, _time).AcquireAsync();
        await new WorkerIdentityLock(_temp.Worker).ForceReleaseAsync();

        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.Equal(0, ((FileWorkerLockHandle)held).MonitorChecks);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, ((FileWorkerLockHandle)held).MonitorChecks);
        await ((FileWorkerLockHandle)held).LastMonitorTick;
        Assert.True(held.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task After_dispose_no_tick_runs()
    {
        await using var held = await new WorkerIdentityLock(_temp.Worker, _time).AcquireAsync(new WorkerLockRequest { MonitorInterval = Interval });
        _time.Advance(Interval);
        await ((FileWorkerLockHandle)held).LastMonitorTick;
        Assert.Equal(1, ((FileWorkerLockHandle)held).MonitorChecks);

        await held.DisposeAsync();
        await held.DisposeAsync();
        _time.Advance(Interval * 20);
#pragma warning disable AGL005 // The release itself is under test: its monitor is read after it (AGL005.md, "Tests of the release").
        Assert.Equal(1, ((FileWorkerLockHandle)held).MonitorChecks);
#pragma warning restore AGL005
        Assert.False(File.Exists(_temp.LockPath));
    }

    [Fact]
    public async Task An_infinite_interval_turns_the_monitor_off()
    {
        await using var held = await new WorkerIdentityLock(_temp.Worker, _time).AcquireAsync(new WorkerLockRequest { MonitorInterval = Timeout.InfiniteTimeSpan });
        await new WorkerIdentityLock(_temp.Worker).ForceReleaseAsync();

        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, ((FileWorkerLockHandle)held).MonitorChecks);
        Assert.False(held.HandleLost.IsCancellationRequested);
        Assert.False(await held.IsHeldAsync());
        Assert.True(held.HandleLost.IsCancellationRequested);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task A_zero_or_negative_interval_is_invalid_and_takes_nothing(int seconds)
    {
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => new WorkerIdentityLock(_temp.Worker, _time)
            .AcquireAsync(new WorkerLockRequest { MonitorInterval = TimeSpan.FromSeconds(seconds) }));
        Assert.Equal(ErrorCode.InvalidArgs, error.Code);
        Assert.False(File.Exists(_temp.LockPath));
    }

    [Fact]
    public async Task A_force_release_by_another_process_fires_the_holders_HandleLost()
    {
        await using var held = await new WorkerIdentityLock(_temp.Worker, _time).AcquireAsync(new WorkerLockRequest { MonitorInterval = Interval });
        await using (var taker = TakerProcess.Start("lock", "force-release", _temp.Worker))
        {
            Assert.Equal($"removed {Environment.ProcessId}", await taker.ReadLineAsync());
            Assert.Equal(0, await taker.FinishAsync());
        }

        _time.Advance(Interval);
        await ((FileWorkerLockHandle)held).LastMonitorTick;
        Assert.True(held.HandleLost.IsCancellationRequested);
    }
}

/// <summary>The monitor both handle kinds share, driven with a check the test completes by hand.</summary>
public sealed class LossMonitorTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 19, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_slow_check_is_not_piled_up_ticks_that_arrive_meanwhile_are_skipped()
    {
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var monitor = new LossMonitor(_time, Interval, () => slow.Task);

        _time.Advance(Interval);
        var first = monitor.LastTick;
        _time.Advance(Interval * 3);
        Assert.Equal(1, monitor.Checks);
        Assert.Same(first, monitor.LastTick);

        slow.SetResult();
        await first;
        _time.Advance(Interval);
        Assert.Equal(2, monitor.Checks);
    }

    [Fact]
    public async Task Marking_lost_after_dispose_does_nothing()
    {
        var monitor = new LossMonitor(_time, Interval, () => Task.CompletedTask);
        var lost = monitor.Lost;
        await monitor.DisposeAsync();
        await monitor.DisposeAsync();

        monitor.MarkLost();
        Assert.False(lost.IsCancellationRequested);
    }
}
