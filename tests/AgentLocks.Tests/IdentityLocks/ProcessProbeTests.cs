namespace AgentLocks.Tests.IdentityLocks;

public sealed class ProcessProbeTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(Native.EPERM, true)]
    [InlineData(Native.ESRCH, false)]
    public void The_signal_probe_counts_eperm_as_alive(int errno, bool alive)
    {
        // As root kill(pid, 0) never fails with EPERM, so the answer of the syscall is simulated here;
        // LockCommandTests.A_holder_owned_by_another_user_is_locked_not_stale gets a real one from a non-root process.
        var probe = new LinuxProcessProbe(_ => errno);
        Assert.Equal(alive, probe.IsAlive(4242));
        Assert.False(probe.IsAlive(0));
        Assert.False(probe.IsAlive(-1));
    }

    [Fact]
    public async Task An_eperm_holder_keeps_its_lock()
    {
        using var temp = new TempWorker();
        TempWorker.WriteLock(temp.Worker, $$"""{"pid": 4242, "acquired_at": "2026-11-23T18:00:00Z", "hostname": "{{LinuxProcessProbe.Instance.HostName}}"}""");
        var otherUsers = LockEnvironment.Default with { Processes = new LinuxProcessProbe(_ => Native.EPERM) };
        var status = await new WorkerIdentityLock(temp.Worker, otherUsers).GetStatusAsync();
        Assert.Equal(WorkerLockState.Locked, status.State);
    }

    [Fact]
    public async Task The_real_probe_sees_a_child_alive_with_its_start_time_then_dead()
    {
        var probe = LinuxProcessProbe.Instance;
        await using var child = new SleepProcess();
        Assert.True(probe.IsAlive(child.Pid));
        var start = probe.StartTime(child.Pid);
        Assert.NotNull(start);
        Assert.True(start >= probe.StartTime(Environment.ProcessId), "a child starts after its parent");

        await child.KillAsync();
        Assert.False(probe.IsAlive(child.Pid));
        Assert.Null(probe.StartTime(child.Pid));
    }

    [Fact]
    public void Host_name_and_boot_id_are_the_kernels()
    {
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), LinuxProcessProbe.Instance.HostName);
        Assert.True(Guid.TryParse(LinuxProcessProbe.Instance.BootId, out _));
    }

    [Theory]
    [InlineData("1234 (sleep) S 1 1234 1234 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100", 987654L)]
    [InlineData("1234 (my ) odd) name) R 1 1234 1234 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 55 1000 100", 55L)]
    [InlineData("1234 (a b c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 77", 77L)]
    [InlineData("1234 (short) S 1 2 3", null)]
    [InlineData("no parenthesis here", null)]
    [InlineData("1234 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -5", null)]
    public void The_start_time_is_field_22_counted_after_the_last_parenthesis(string stat, long? expected)
        => Assert.Equal(expected, LinuxProcessProbe.ParseStartTime(stat));
}
