using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentLocks.Tests.IdentityLocks;

/// <summary>Identity locks between real processes (<c>AgentLocks.Taker</c> children), including <c>kill -9</c>.</summary>
public sealed class CrossProcessTests : IDisposable
{
    private readonly TempWorker _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_lock_held_by_one_process_excludes_another_until_it_is_released()
    {
        await using var first = TakerProcess.Start("lock", "acquire", _temp.Worker, "--session", "gt-first");
        Assert.Equal("acquired", await first.ReadLineAsync());

        await using (var second = TakerProcess.Start("lock", "acquire", _temp.Worker))
        {
            Assert.Equal("refused LOCKED", await second.ReadLineAsync());
            Assert.Equal(3, await second.FinishAsync());
        }

        Assert.Equal(first.Pid, (await new WorkerIdentityLock(_temp.Worker).ReadAsync())!.Pid);
        Assert.Equal(0, await first.FinishAsync());
        Assert.False(File.Exists(_temp.LockPath));

        await using var third = TakerProcess.Start("lock", "acquire", _temp.Worker);
        Assert.Equal("acquired", await third.ReadLineAsync());
    }

    [Fact]
    public async Task Of_16_processes_racing_for_one_worker_exactly_one_wins_every_round()
    {
        const int Takers = 16;
        const int Rounds = 10;
        var takers = Enumerable.Range(0, Takers).Select(_ => TakerProcess.Start("lock", "race", _temp.Worker, Rounds.ToString(CultureInfo.InvariantCulture))).ToList();
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                // Everyone is ready (the previous winner has released) before anyone is let go.
                Assert.All(await Task.WhenAll(takers.Select(t => t.ReadLineAsync())), line => Assert.Equal("ready", line));
                await Task.WhenAll(takers.Select(t => t.WriteLineAsync("go")));
                var answers = await Task.WhenAll(takers.Select(t => t.ReadLineAsync()));

                var winner = Assert.Single(takers.Zip(answers), p => p.Second == "acquired").First;
                Assert.Equal(Takers - 1, answers.Count(a => a == "refused LOCKED"));
                Assert.Equal(winner.Pid, (await new WorkerIdentityLock(_temp.Worker).ReadAsync())!.Pid);
                await Task.WhenAll(takers.Select(t => t.WriteLineAsync("next")));
            }

            Assert.All(await Task.WhenAll(takers.Select(t => t.FinishAsync())), code => Assert.Equal(0, code));
            Assert.False(File.Exists(_temp.LockPath));
        }
        finally
        {
            foreach (var taker in takers)
            {
                await taker.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_holder_killed_with_sigkill_leaves_a_stale_lock_that_the_next_process_takes_over()
    {
        await using var victim = TakerProcess.Start("lock", "acquire", _temp.Worker, "--session", "gt-victim");
        Assert.Equal("acquired", await victim.ReadLineAsync());
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        Assert.Equal(WorkerLockState.Locked, (await workerLock.GetStatusAsync()).State);

        await victim.KillAsync();
        var status = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.Stale, status.State);
        Assert.Equal(victim.Pid, status.Holder!.Pid);
        Assert.Contains("not running", status.Reason, StringComparison.Ordinal);

        await using var successor = TakerProcess.Start("lock", "acquire", _temp.Worker, "--session", "gt-successor");
        Assert.Equal($"acquired took-over {victim.Pid}", await successor.ReadLineAsync());
        var now = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.Locked, now.State);
        Assert.Equal(successor.Pid, now.Holder!.Pid);
        Assert.Equal(SessionId.Parse("gt-successor"), now.Holder.Session);
    }

    [Fact]
    public async Task A_reused_pid_is_stale_and_the_old_holders_release_spares_the_new_lock()
    {
        await using var holder = TakerProcess.Start("lock", "acquire", _temp.Worker);
        Assert.Equal("acquired", await holder.ReadLineAsync());

        // Simulate PID reuse: the live process with the recorded PID is not the one that started the lock.
        var record = JsonNode.Parse(File.ReadAllText(_temp.LockPath))!.AsObject();
        record["process_start_time"] = record["process_start_time"]!.GetValue<long>() - 100;
        File.WriteAllText(_temp.LockPath, record.ToJsonString());
        var status = await new WorkerIdentityLock(_temp.Worker).GetStatusAsync();
        Assert.Equal(WorkerLockState.Stale, status.State);
        Assert.Contains("another process", status.Reason, StringComparison.Ordinal);

        await using var successor = TakerProcess.Start("lock", "acquire", _temp.Worker);
        Assert.Equal($"acquired took-over {holder.Pid}", await successor.ReadLineAsync());

        // The first holder disposes its handle: the lock is no longer its acquisition, so it stays.
        Assert.Equal(0, await holder.FinishAsync());
        var after = await new WorkerIdentityLock(_temp.Worker).GetStatusAsync();
        Assert.Equal(WorkerLockState.Locked, after.State);
        Assert.Equal(successor.Pid, after.Holder!.Pid);
    }

    [Fact]
    public async Task A_lock_from_another_host_is_never_taken_over_even_when_that_pid_is_dead_here()
    {
        await using var remote = TakerProcess.Start("lock", "acquire", _temp.Worker, "--host", "build-host-7", "--session", "gt-remote");
        Assert.Equal("acquired", await remote.ReadLineAsync());
        await remote.KillAsync();

        var workerLock = new WorkerIdentityLock(_temp.Worker);
        var status = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.ForeignHost, status.State);
        Assert.Equal("build-host-7", status.Holder!.HostName);

        await using (var local = TakerProcess.Start("lock", "acquire", _temp.Worker))
        {
            Assert.Equal("refused LOCKED", await local.ReadLineAsync());
        }

        Assert.Empty((await WorkerIdentityLock.CleanStaleAsync(_temp.Root)).Cleaned);
        Assert.Equal(remote.Pid, (await workerLock.ForceReleaseAsync())!.Holder!.Pid);

        await using var next = TakerProcess.Start("lock", "acquire", _temp.Worker);
        Assert.Equal("acquired", await next.ReadLineAsync());
    }

    [Fact]
    public async Task A_launcher_can_lock_for_a_longer_lived_process_and_exit()
    {
        await using var agent = new SleepProcess();
        await using (var launcher = TakerProcess.Start("lock", "acquire", _temp.Worker, "--pid", agent.Pid.ToString(CultureInfo.InvariantCulture)))
        {
            Assert.Equal("acquired", await launcher.ReadLineAsync());
            await launcher.KillAsync();
        }

        var workerLock = new WorkerIdentityLock(_temp.Worker);
        Assert.Equal(WorkerLockState.Locked, (await workerLock.GetStatusAsync()).State);
        await using (var other = TakerProcess.Start("lock", "acquire", _temp.Worker))
        {
            Assert.Equal("refused LOCKED", await other.ReadLineAsync());
        }

        await agent.KillAsync();
        Assert.Equal(WorkerLockState.Stale, (await workerLock.GetStatusAsync()).State);
    }
}
