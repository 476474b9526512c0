namespace AgentLocks.Tests.IdentityLocks;

/// <summary>A holder killed but not reaped (state <c>Z</c>) is dead: for worker identity locks and for the store mutex.</summary>
public sealed class ZombieTests : IDisposable
{
    private readonly TempWorker _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_worker_lock_held_by_a_zombie_is_stale_and_taken_over()
    {
        using var zombie = await Zombie.StartAsync();
        var probe = LinuxProcessProbe.Instance;
        TempWorker.WriteLock(_temp.Worker, $$"""{"pid": {{zombie.Pid}}, "acquired_at": "2026-11-23T18:00:00Z", "hostname": "{{probe.HostName}}", "process_start_time": {{zombie.StartTime}}, "boot_id": "{{probe.BootId}}"}""");
        var workerLock = new WorkerIdentityLock(_temp.Worker);

        var status = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.Stale, status.State);
        Assert.Contains($"process {zombie.Pid} is not running", status.Reason, StringComparison.Ordinal);

        await using var held = await workerLock.AcquireAsync();
        Assert.Equal(zombie.Pid, held.TookOver!.Holder!.Pid);
    }

    [Fact]
    public async Task A_store_mutex_left_by_a_zombie_is_removed_at_once()
    {
        using var zombie = await Zombie.StartAsync();
        var root = Directory.CreateDirectory(Path.Combine(_temp.Root, "store")).FullName;
        var mutex = Path.Combine(Directory.CreateDirectory(Path.Combine(root, "reservations")).FullName, ".lock");
        await File.WriteAllTextAsync(mutex, $"{zombie.Pid}\n{zombie.StartTime}\n{LinuxProcessProbe.Instance.BootId}\n");

        // A live holder would be waited for and refused with LOCKED after the timeout.
        var store = new FileReservationStore(root, new ReservationStoreOptions { LockTimeout = TimeSpan.FromSeconds(30) });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await store.RegisterAgentAsync(AgentId.Parse("agent-a"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        Assert.False(File.Exists(mutex));
    }

    [Theory]
    [InlineData("1234 (sleep) Z 1 1234 1234 0 -1", 'Z')]
    [InlineData("1234 (a) b) S 1 1234", 'S')]
    [InlineData("garbage", null)]
    public void The_state_is_read_after_the_last_parenthesis(string stat, char? state)
        => Assert.Equal(state, LinuxProcessProbe.ParseState(stat));
}
