using System.Text.Json;

namespace AgentLocks.Tests.IdentityLocks;

public sealed class WorkerIdentityLockTests : IDisposable
{
    private readonly TempWorker _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Acquire_writes_gastown_fields_and_release_removes_the_file()
    {
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        await using (var held = await workerLock.AcquireAsync(new WorkerLockRequest { Session = SessionId.Parse("%12") }))
        {
            Assert.Equal(Environment.ProcessId, held.Info.Pid);
            using var json = JsonDocument.Parse(File.ReadAllText(_temp.LockPath));
            var root = json.RootElement;
            Assert.Equal(Environment.ProcessId, root.GetProperty("pid").GetInt32());
            Assert.Equal("%12", root.GetProperty("session_id").GetString());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("hostname").GetString()));
            Assert.True(DateTimeOffset.TryParse(root.GetProperty("acquired_at").GetString(), out _));
            Assert.True(root.GetProperty("process_start_time").GetInt64() > 0);
            Assert.Equal(32, root.GetProperty("owner_token").GetString()!.Length);

            var status = await workerLock.GetStatusAsync();
            Assert.Equal(WorkerLockState.Locked, status.State);
            Assert.Equal(Environment.ProcessId, status.Holder!.Pid);
            Assert.NotNull(status.Age);
        }

        Assert.False(File.Exists(_temp.LockPath));
        Assert.Equal(WorkerLockState.Unlocked, (await workerLock.GetStatusAsync()).State);
    }

    [Fact]
    public async Task A_held_lock_refuses_a_second_acquisition()
    {
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        await using var held = await workerLock.AcquireAsync();
        var refused = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.AcquireAsync());
        Assert.Equal(ErrorCode.Locked, refused.Code);
        await using var unexpected = await workerLock.TryAcquireAsync(); // released if it was wrongly granted
        Assert.Null(unexpected);
    }

    [Fact]
    public async Task Dispose_is_idempotent_and_does_not_remove_a_later_holders_lock()
    {
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        await using var first = await workerLock.AcquireAsync();
        await workerLock.ForceReleaseAsync();
        await using var second = await workerLock.AcquireAsync();
        Assert.False(await first.IsHeldAsync());
        Assert.True(first.HandleLost.IsCancellationRequested);
        await first.DisposeAsync();
        await first.DisposeAsync();
        Assert.True(await second.IsHeldAsync());
        Assert.Equal(WorkerLockState.Locked, (await workerLock.GetStatusAsync()).State);
    }
}

public sealed class WorkerIdentityLockHolderTests : IDisposable
{
    private readonly TempWorker _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Release_checks_the_owner_and_force_release_says_whom_it_removed()
    {
        await using var agent = new SleepProcess();
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        LeftHeld.OnPurpose(await workerLock.AcquireAsync(new WorkerLockRequest { HolderPid = agent.Pid })); // the agent process holds it
        var before = File.ReadAllBytes(_temp.LockPath);

        var notOurs = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.ReleaseAsync());
        Assert.Equal(ErrorCode.NotLocked, notOurs.Code);
        Assert.Equal(before, File.ReadAllBytes(_temp.LockPath));

        var removed = await workerLock.ForceReleaseAsync();
        Assert.Equal(agent.Pid, removed!.Holder!.Pid);
        Assert.Equal(WorkerLockState.Locked, removed.State);
        Assert.False(File.Exists(_temp.LockPath));
        Assert.Null(await workerLock.ForceReleaseAsync());
        Assert.Equal(ErrorCode.NotLocked, (await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.ReleaseAsync())).Code);
    }

    [Fact]
    public async Task Release_by_the_holder_pid_removes_the_lock()
    {
        await using var agent = new SleepProcess();
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        LeftHeld.OnPurpose(await workerLock.AcquireAsync(new WorkerLockRequest { HolderPid = agent.Pid })); // the agent process holds it
        var released = await workerLock.ReleaseAsync(agent.Pid);
        Assert.Equal(agent.Pid, released.Pid);
        Assert.False(File.Exists(_temp.LockPath));
    }

    [Fact]
    public async Task A_lock_for_another_holder_lives_as_long_as_that_holder()
    {
        await using var agent = new SleepProcess();
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        var launcherHandle = await workerLock.AcquireAsync(new WorkerLockRequest { HolderPid = agent.Pid });
        LeftHeld.OnPurpose(launcherHandle); // the agent process holds it
        Assert.Equal(agent.Pid, launcherHandle.Info.Pid);
        Assert.Equal(WorkerLockState.Locked, (await workerLock.GetStatusAsync()).State);

        await agent.KillAsync();
        var status = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.Stale, status.State);
        Assert.Contains("not running", status.Reason, StringComparison.Ordinal);

        await using var next = await workerLock.AcquireAsync();
        Assert.Equal(agent.Pid, next.TookOver!.Holder!.Pid);
    }

    [Fact]
    public async Task A_holder_that_is_not_running_is_refused()
    {
        await using var agent = new SleepProcess();
        var pid = agent.Pid;
        await agent.KillAsync();
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => new WorkerIdentityLock(_temp.Worker).AcquireAsync(new WorkerLockRequest { HolderPid = pid }));
        Assert.Equal(ErrorCode.InvalidArgs, error.Code);
        Assert.False(Directory.Exists(_temp.RuntimeDirectory));
    }

    [Fact]
    public async Task A_live_pid_with_another_start_time_is_a_reused_pid_and_stale()
    {
        var probe = new FakeProcessProbe();
        var realStart = probe.StartTime(Environment.ProcessId)!.Value;
        TempWorker.WriteLock(_temp.Worker, $$"""{"pid": {{Environment.ProcessId}}, "acquired_at": "2026-11-23T18:00:00Z", "hostname": "{{probe.HostName}}", "process_start_time": {{realStart - 1}}}""");

        var workerLock = new WorkerIdentityLock(_temp.Worker, probe.Environment());
        var status = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.Stale, status.State);
        Assert.Contains("start time", status.Reason, StringComparison.Ordinal);

        await using var held = await workerLock.AcquireAsync();
        Assert.Equal(realStart - 1, held.TookOver!.Holder!.ProcessStartTime);
        Assert.Equal(realStart, held.Info.ProcessStartTime);
    }

    [Fact]
    public async Task The_same_start_time_keeps_a_live_pid_locked_and_a_reboot_makes_it_stale()
    {
        var probe = new FakeProcessProbe();
        var workerLock = new WorkerIdentityLock(_temp.Worker, probe.Environment());
        await using var held = await workerLock.AcquireAsync();
        Assert.Equal(WorkerLockState.Locked, (await workerLock.GetStatusAsync()).State);

        var rebooted = new FakeProcessProbe(bootId: Guid.NewGuid().ToString());
        var after = await new WorkerIdentityLock(_temp.Worker, rebooted.Environment()).GetStatusAsync();
        Assert.Equal(WorkerLockState.Stale, after.State);
        Assert.Contains("rebooted", after.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_foreign_host_lock_is_never_stale_by_a_local_probe_and_only_force_takes_it()
    {
        var probe = new FakeProcessProbe();
        probe.Dead.Add(424242);
        TempWorker.WriteLock(_temp.Worker, """{"pid": 424242, "acquired_at": "2026-11-23T18:00:00Z", "session_id": "gt-a", "hostname": "build-host-7"}""");
        var before = File.ReadAllBytes(_temp.LockPath);
        var workerLock = new WorkerIdentityLock(_temp.Worker, probe.Environment());

        var status = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.ForeignHost, status.State);
        Assert.Equal("foreign-host", status.State.ToWireName());
        Assert.Equal(ErrorCode.Locked, (await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.AcquireAsync())).Code);
        await using var unexpected = await workerLock.TryAcquireAsync(); // released if it was wrongly granted
        Assert.Null(unexpected);
        Assert.Equal(WorkerLockState.ForeignHost, (await workerLock.CheckAsync()).State);
        Assert.Empty((await WorkerIdentityLock.CleanStaleAsync(_temp.Root, probe.Environment(), default)).Cleaned);
        Assert.Equal(ErrorCode.NotLocked, (await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.ReleaseAsync(424242))).Code);
        Assert.Equal(before, File.ReadAllBytes(_temp.LockPath));

        var removed = await workerLock.ForceReleaseAsync();
        Assert.Equal("build-host-7", removed!.Holder!.HostName);
        Assert.Equal(WorkerLockState.ForeignHost, removed.State);
        Assert.False(File.Exists(_temp.LockPath));
    }

    [Fact]
    public async Task Check_removes_a_stale_lock_and_reports_the_result_as_data()
    {
        var probe = new FakeProcessProbe();
        probe.Dead.Add(424242);
        TempWorker.WriteLock(_temp.Worker, $$"""{"pid": 424242, "acquired_at": "2026-11-23T18:00:00Z", "hostname": "{{probe.HostName}}"}""");
        var status = await new WorkerIdentityLock(_temp.Worker, probe.Environment()).CheckAsync();
        Assert.Equal(WorkerLockState.Unlocked, status.State);
        Assert.Contains("424242", status.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.LockPath));
    }

    [Fact]
    public async Task Age_comes_from_the_time_provider()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T18:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var workerLock = new WorkerIdentityLock(_temp.Worker, time);
        await using var held = await workerLock.AcquireAsync();
        time.Advance(TimeSpan.FromMinutes(7));
        var status = await workerLock.GetStatusAsync();
        Assert.Equal(TimeSpan.FromMinutes(7), status.Age);
        Assert.Equal(time.Start, status.Holder!.AcquiredAt);
    }
}
