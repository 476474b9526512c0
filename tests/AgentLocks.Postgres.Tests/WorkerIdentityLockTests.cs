using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Postgres.Tests;

public sealed class WorkerIdentityLockTests
{
    private static readonly WorkerId Worker = WorkerId.Parse("polecat-1");

    [Fact]
    public async Task One_holder_at_a_time_and_status_names_it()
    {
        await using var schema = new TestSchema();
        await using var first = new PostgresWorkerIdentityLock(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        await using var second = new PostgresWorkerIdentityLock(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));

        await using var held = await first.AcquireAsync(Worker, SessionId.Parse("gt-polecat-1"));
        await using var unexpected = await second.TryAcquireAsync(Worker); // released if it was wrongly granted
        Assert.Null(unexpected);
        var refused = await Assert.ThrowsAsync<AgentLocksException>(() => second.AcquireAsync(Worker));
        Assert.Equal(ErrorCode.Locked, refused.Code);
        Assert.Contains(Environment.MachineName, refused.Message, StringComparison.Ordinal);

        var status = await second.GetStatusAsync(Worker);
        Assert.Equal(PostgresWorkerLockState.Locked, status.State);
        Assert.Equal(Environment.MachineName, status.Hostname);
        Assert.Equal(Environment.ProcessId, status.Pid);
        Assert.Equal(SessionId.Parse("gt-polecat-1"), status.Session);
        Assert.Equal(held.Holder.BackendPid, status.BackendPid);
        Assert.InRange(status.AcquiredAt!.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal([Worker], (await second.ListAsync()).Select(s => s.Worker));

        await held.DisposeAsync();
        await held.DisposeAsync();
        Assert.Equal(PostgresWorkerLockState.Unlocked, (await second.GetStatusAsync(Worker)).State);
        await using var next = await second.AcquireAsync(Worker);
        Assert.False(next.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task Different_workers_do_not_contend_and_neither_do_schemas()
    {
        await using var schema = new TestSchema();
        await using var other = new TestSchema();
        await using var locks = new PostgresWorkerIdentityLock(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        await using var otherSwarm = new PostgresWorkerIdentityLock(PostgresTestServer.ConnectionString, PostgresTestServer.Options(other.Name));

        await using var a = await locks.AcquireAsync(Worker);
        await using var b = await locks.AcquireAsync(WorkerId.Parse("polecat-2"));
        await using var c = await otherSwarm.AcquireAsync(Worker);
        Assert.Equal(2, (await locks.ListAsync()).Count(s => s.State == PostgresWorkerLockState.Locked));
    }

    [Fact]
    public async Task Terminating_the_holders_backend_fires_HandleLost_and_frees_the_worker()
    {
        await using var schema = new TestSchema();
        var time = new FakeTimeProvider();
        await using var locks = new PostgresWorkerIdentityLock(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name, time));
        await using var held = await locks.AcquireAsync(Worker);
        var lost = new TaskCompletionSource();
        held.HandleLost.Register(lost.SetResult);

        Assert.Equal(true, await PostgresTestServer.ScalarAsync("SELECT pg_terminate_backend($1, 5000)", held.Holder.BackendPid!.Value));

        // No heartbeat is due (the clock is fake and stands still): the watch reads the server's goodbye itself.
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(PostgresWorkerLockState.Stale, (await locks.GetStatusAsync(Worker)).State);
        await using var next = await locks.AcquireAsync(Worker);
        await held.DisposeAsync();   // the lost holder's release must not touch the new holder's row
        var status = await locks.GetStatusAsync(Worker);
        Assert.Equal(PostgresWorkerLockState.Locked, status.State);
        Assert.Equal(next.Holder.BackendPid, status.BackendPid);
    }

    [Fact]
    public async Task Force_release_ends_the_holders_session()
    {
        await using var schema = new TestSchema();
        var time = new FakeTimeProvider();
        await using var locks = new PostgresWorkerIdentityLock(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name, time));
        await using var held = await locks.AcquireAsync(Worker);

        Assert.True(await locks.ForceReleaseAsync(Worker));
        Assert.Equal(PostgresWorkerLockState.Unlocked, (await locks.GetStatusAsync(Worker)).State);
        await using var next = await locks.AcquireAsync(Worker);
        await held.HandleLost.WhenCancelled().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(held.HandleLost.IsCancellationRequested);
        Assert.False(await locks.ForceReleaseAsync(WorkerId.Parse("nobody")));
    }

    [Fact]
    public async Task Clean_removes_only_stale_rows_under_the_prefix_and_list_filters_by_it()
    {
        await using var schema = new TestSchema();
        await using var locks = new PostgresWorkerIdentityLock(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        var dead = new List<PostgresWorkerLockHandle>();
        foreach (var name in new[] { "rig1.a", "rig1.b", "rig2.a" })
        {
            var held = await locks.AcquireAsync(WorkerId.Parse(name));
            Assert.Equal(true, await PostgresTestServer.ScalarAsync("SELECT pg_terminate_backend($1, 5000)", held.Holder.BackendPid!.Value));
            dead.Add(held);
        }

        await using var live = await locks.AcquireAsync(WorkerId.Parse("rig1.c"));
        Assert.Equal(["rig1.a", "rig1.b", "rig1.c"], (await locks.ListAsync("rig1.")).Select(s => s.Worker.Value));

        var removed = await locks.CleanStaleAsync("rig1.");

        Assert.Equal(["rig1.a", "rig1.b"], removed.Select(s => s.Worker.Value));
        Assert.All(removed, s => Assert.Equal(PostgresWorkerLockState.Stale, s.State));
        var left = await locks.ListAsync();
        Assert.Equal([("rig1.c", PostgresWorkerLockState.Locked), ("rig2.a", PostgresWorkerLockState.Stale)], left.Select(s => (s.Worker.Value, s.State)));
        foreach (var held in dead)
        {
            await held.DisposeAsync();
        }
    }

    [Fact]
    public async Task Release_for_a_holder_pid_ends_only_that_holders_lock()
    {
        await using var schema = new TestSchema();
        await using var locks = new PostgresWorkerIdentityLock(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        await using var held = await locks.TryAcquireAsync(Worker, null, holderPid: 4242, CancellationToken.None);
        Assert.NotNull(held);
        var lost = new TaskCompletionSource();
        held.HandleLost.Register(lost.SetResult);
        Assert.Equal(4242, (await locks.GetStatusAsync(Worker)).Pid);

        var wrong = await Assert.ThrowsAsync<AgentLocksException>(() => locks.ReleaseHeldByAsync(Worker, 4243, CancellationToken.None));
        Assert.Equal(ErrorCode.NotLocked, wrong.Code);
        Assert.Contains("4242", wrong.Message, StringComparison.Ordinal);
        Assert.Equal(PostgresWorkerLockState.Locked, (await locks.GetStatusAsync(Worker)).State);

        var released = await locks.ReleaseHeldByAsync(Worker, 4242, CancellationToken.None);
        Assert.Equal(held.Holder.BackendPid, released.BackendPid);
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(PostgresWorkerLockState.Unlocked, (await locks.GetStatusAsync(Worker)).State);
        var again = await Assert.ThrowsAsync<AgentLocksException>(() => locks.ReleaseHeldByAsync(Worker, 4242, CancellationToken.None));
        Assert.Equal(ErrorCode.NotLocked, again.Code);
        await held.DisposeAsync();
    }

    [Fact]
    public async Task Default_worker_id_is_invalid_args()
    {
        await using var schema = new TestSchema();
        await using var locks = new PostgresWorkerIdentityLock(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        var e = await Assert.ThrowsAsync<AgentLocksException>(() => locks.AcquireAsync(default));
        Assert.Equal(ErrorCode.InvalidArgs, e.Code);
    }
}
