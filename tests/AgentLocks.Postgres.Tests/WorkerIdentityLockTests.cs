using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Postgres.Tests;

public sealed class WorkerIdentityLockTests
{
    private static readonly WorkerId Worker = WorkerId.Parse("polecat-1");

    [Fact]
    public async Task One_holder_at_a_time_and_status_names_it()
    {
        await using var schema = new TestSchema();
        await using var first = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        await using var second = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));

        await using var held = await first.ForWorker(Worker).AcquireAsync(new WorkerLockRequest { Session = SessionId.Parse("gt-polecat-1") });
        await using var unexpected = await second.ForWorker(Worker).TryAcquireAsync(); // released if it was wrongly granted
        Assert.Null(unexpected);
        var refused = await Assert.ThrowsAsync<AgentLocksException>(() => second.ForWorker(Worker).AcquireAsync());
        Assert.Equal(ErrorCode.Locked, refused.Code);
        Assert.Contains(Environment.MachineName, refused.Message, StringComparison.Ordinal);

        var status = await second.ForWorker(Worker).GetStatusAsync();
        Assert.Equal(WorkerLockState.Locked, status.State);
        Assert.Equal(Environment.MachineName, status.Holder!.HostName);
        Assert.Equal(Environment.ProcessId, status.Holder!.Pid);
        Assert.Equal(SessionId.Parse("gt-polecat-1"), status.Holder!.Session);
        Assert.Equal(held.Info.BackendPid, status.Holder!.BackendPid);
        Assert.InRange(status.Holder!.AcquiredAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal([Worker], (await second.FindAllAsync()).Locks.Select(s => WorkerId.Parse(s.Worker)));

        await held.DisposeAsync();
        await held.DisposeAsync();
        Assert.Equal(WorkerLockState.Unlocked, (await second.ForWorker(Worker).GetStatusAsync()).State);
        await using var next = await second.ForWorker(Worker).AcquireAsync();
        Assert.False(next.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task Different_workers_do_not_contend_and_neither_do_schemas()
    {
        await using var schema = new TestSchema();
        await using var other = new TestSchema();
        await using var locks = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        await using var otherSwarm = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(other.Name));

        await using var a = await locks.ForWorker(Worker).AcquireAsync();
        await using var b = await locks.ForWorker(WorkerId.Parse("polecat-2")).AcquireAsync();
        await using var c = await otherSwarm.ForWorker(Worker).AcquireAsync();
        Assert.Equal(2, (await locks.FindAllAsync()).Locks.Count(s => s.State == WorkerLockState.Locked));
    }

    [Fact]
    public async Task Terminating_the_holders_backend_fires_HandleLost_and_frees_the_worker()
    {
        await using var schema = new TestSchema();
        var time = new FakeTimeProvider();
        await using var locks = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name, time));
        await using var held = await locks.ForWorker(Worker).AcquireAsync();
        var lost = new TaskCompletionSource();
        held.HandleLost.Register(lost.SetResult);

        Assert.Equal(true, await PostgresTestServer.ScalarAsync("SELECT pg_terminate_backend($1, 5000)", held.Info.BackendPid!.Value));

        // No heartbeat is due (the clock is fake and stands still): the watch reads the server's goodbye itself.
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(WorkerLockState.Stale, (await locks.ForWorker(Worker).GetStatusAsync()).State);
        await using var next = await locks.ForWorker(Worker).AcquireAsync();
        await held.DisposeAsync();   // the lost holder's release must not touch the new holder's row
        var status = await locks.ForWorker(Worker).GetStatusAsync();
        Assert.Equal(WorkerLockState.Locked, status.State);
        Assert.Equal(next.Info.BackendPid, status.Holder!.BackendPid);
    }

    [Fact]
    public async Task Force_release_ends_the_holders_session()
    {
        await using var schema = new TestSchema();
        var time = new FakeTimeProvider();
        await using var locks = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name, time));
        await using var held = await locks.ForWorker(Worker).AcquireAsync();

        Assert.NotNull(await locks.ForWorker(Worker).ForceReleaseAsync());
        Assert.Equal(WorkerLockState.Unlocked, (await locks.ForWorker(Worker).GetStatusAsync()).State);
        await using var next = await locks.ForWorker(Worker).AcquireAsync();
        await held.HandleLost.WhenCancelled().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(held.HandleLost.IsCancellationRequested);
        Assert.Null(await locks.ForWorker(WorkerId.Parse("nobody")).ForceReleaseAsync());
    }

    [Fact]
    public async Task Clean_removes_only_stale_rows_under_the_prefix_and_list_filters_by_it()
    {
        await using var schema = new TestSchema();
        await using var locks = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        var dead = new List<WorkerLockHandle>();
        foreach (var name in new[] { "rig1.a", "rig1.b", "rig2.a" })
        {
            var held = await locks.ForWorker(WorkerId.Parse(name)).AcquireAsync();
            Assert.Equal(true, await PostgresTestServer.ScalarAsync("SELECT pg_terminate_backend($1, 5000)", held.Info.BackendPid!.Value));
            dead.Add(held);
        }

        await using var live = await locks.ForWorker(WorkerId.Parse("rig1.c")).AcquireAsync();
        Assert.Equal(["rig1.a", "rig1.b", "rig1.c"], (await locks.FindAllAsync("rig1.")).Locks.Select(s => s.Worker));

        var removed = (await locks.CleanStaleAsync("rig1.")).Cleaned;

        Assert.Equal(["rig1.a", "rig1.b"], removed.Select(s => s.Worker));
        Assert.All(removed, s => Assert.Equal(WorkerLockState.Stale, s.State));
        var left = (await locks.FindAllAsync()).Locks;
        Assert.Equal([("rig1.c", WorkerLockState.Locked), ("rig2.a", WorkerLockState.Stale)], left.Select(s => (s.Worker, s.State)));
        foreach (var held in dead)
        {
            await held.DisposeAsync();
        }
    }

    [Fact]
    public async Task Release_for_a_holder_pid_ends_only_that_holders_lock()
    {
        await using var schema = new TestSchema();
        await using var locks = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        var workerLock = locks.ForWorker(Worker);
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        try
        {
            await using var held = await workerLock.TryAcquireAsync(new WorkerLockRequest { HolderPid = holder.Id });
            Assert.NotNull(held);
            var lost = new TaskCompletionSource();
            held.HandleLost.Register(lost.SetResult);
            Assert.Equal(holder.Id, (await workerLock.GetStatusAsync()).Holder!.Pid);

            var wrong = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.ReleaseAsync(holder.Id + 1));
            Assert.Equal(ErrorCode.NotLocked, wrong.Code);
            Assert.Contains(holder.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), wrong.Message, StringComparison.Ordinal);
            Assert.Equal(WorkerLockState.Locked, (await workerLock.GetStatusAsync()).State);

            var released = await workerLock.ReleaseAsync(holder.Id);
            Assert.Equal(held.Info.BackendPid, released.BackendPid);
            await lost.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(WorkerLockState.Unlocked, (await workerLock.GetStatusAsync()).State);
            var again = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.ReleaseAsync(holder.Id));
            Assert.Equal(ErrorCode.NotLocked, again.Code);
            await held.DisposeAsync();
        }
        finally
        {
            holder.Kill();
            await holder.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Default_worker_id_is_invalid_args()
    {
        await using var schema = new TestSchema();
        await using var locks = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        var e = await Assert.ThrowsAsync<AgentLocksException>(() => locks.ForWorker(default(WorkerId)).AcquireAsync());
        Assert.Equal(ErrorCode.InvalidArgs, e.Code);
    }
}
