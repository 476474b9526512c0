using Xunit;

namespace AgentLocks.ContractTests;

/// <summary>
/// The one contract every <see cref="IWorkerIdentityLocks"/> backend keeps (files and PostgreSQL). A backend's test
/// project derives from it and says how to create an empty backend, how to name a worker in it, and how a holder
/// dies (its process, or its connection).
/// </summary>
public abstract class WorkerIdentityLockContract
{
    /// <summary>A new, empty backend of this test.</summary>
    protected abstract Task<IWorkerIdentityLocks> CreateLocksAsync();

    /// <summary>A worker called <paramref name="name"/> in the backend of this test (a directory made for it, or an id).</summary>
    protected abstract string Worker(string name);

    /// <summary>What the scans of this test look under (the root directory, or null: the whole fresh schema).</summary>
    protected abstract string? Under { get; }

    /// <summary>Takes <paramref name="workerLock"/> for a holder that then dies, leaving a stale lock; returns that holder's handle.</summary>
    protected abstract Task<WorkerLockHandle> AcquireThenLoseHolderAsync(IWorkerIdentityLock workerLock);

    [Fact]
    public async Task One_holder_at_a_time_and_status_names_it()
    {
        var locks = await CreateLocksAsync();
        var workerLock = locks.ForWorker(Worker("alpha"));
        var session = SessionId.Parse("gt-alpha");

        await using (var held = await workerLock.AcquireAsync(new WorkerLockRequest { Session = session }))
        {
            Assert.Equal(workerLock.Worker, held.Worker);
            Assert.Equal(Environment.ProcessId, held.Info.Pid);
            Assert.Null(held.TookOver);
            await using var unexpected = await locks.ForWorker(workerLock.Worker).TryAcquireAsync(); // released if wrongly granted
            Assert.Null(unexpected);
            var refused = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.AcquireAsync());
            Assert.Equal(ErrorCode.Locked, refused.Code);

            var status = await workerLock.GetStatusAsync();
            Assert.Equal((workerLock.Worker, WorkerLockState.Locked), (status.Worker, status.State));
            Assert.Equal((Environment.ProcessId, session), (status.Holder!.Pid, status.Holder.Session));
            Assert.True(await held.IsHeldAsync());
            Assert.False(held.HandleLost.IsCancellationRequested);
        }

        var free = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.Unlocked, free.State);
        Assert.Null(free.Holder);
        await using var next = await workerLock.AcquireAsync();
        Assert.True(await next.IsHeldAsync());
    }

    [Fact]
    public async Task Release_by_pid_frees_only_the_named_holders_lock()
    {
        var locks = await CreateLocksAsync();
        var workerLock = locks.ForWorker(Worker("beta"));
        await using var held = await workerLock.AcquireAsync();

        var wrong = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.ReleaseAsync(holderPid: 1));
        Assert.Equal(ErrorCode.NotLocked, wrong.Code);
        Assert.Equal(WorkerLockState.Locked, (await workerLock.GetStatusAsync()).State);

        var released = await workerLock.ReleaseAsync();
        Assert.Equal(Environment.ProcessId, released.Pid);
        Assert.Equal(WorkerLockState.Unlocked, (await workerLock.GetStatusAsync()).State);
        Assert.False(await held.IsHeldAsync());
        Assert.True(held.HandleLost.IsCancellationRequested);
        var again = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.ReleaseAsync());
        Assert.Equal(ErrorCode.NotLocked, again.Code);
    }

    [Fact]
    public async Task Force_release_returns_the_holder_it_ended_and_null_when_free()
    {
        var locks = await CreateLocksAsync();
        var workerLock = locks.ForWorker(Worker("gamma"));
        Assert.Null(await workerLock.ForceReleaseAsync());
        await using var held = await workerLock.AcquireAsync();

        var removed = await workerLock.ForceReleaseAsync();

        Assert.NotNull(removed);
        Assert.Equal((WorkerLockState.Locked, Environment.ProcessId), (removed.State, removed.Holder!.Pid));
        Assert.Equal(WorkerLockState.Unlocked, (await workerLock.GetStatusAsync()).State);
        Assert.False(await held.IsHeldAsync());
        Assert.True(held.HandleLost.IsCancellationRequested);
        await using var next = await workerLock.AcquireAsync();
        await held.DisposeAsync(); // the lost holder's release must not touch the new holder's lock
        Assert.True(await next.IsHeldAsync());
    }

    [Fact]
    public async Task A_stale_lock_is_reported_and_taken_over()
    {
        var locks = await CreateLocksAsync();
        var workerLock = locks.ForWorker(Worker("delta"));
        await using var dead = await AcquireThenLoseHolderAsync(workerLock);

        var stale = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.Stale, stale.State);
        Assert.Equal(dead.Info.Pid, stale.Holder!.Pid);

        await using var held = await workerLock.AcquireAsync();
        Assert.Equal((WorkerLockState.Stale, dead.Info.Pid), (held.TookOver!.State, held.TookOver.Holder!.Pid));
        Assert.Equal(WorkerLockState.Locked, (await workerLock.GetStatusAsync()).State);
    }

    [Fact]
    public async Task Scans_list_clean_and_report_stale_locks()
    {
        var locks = await CreateLocksAsync();
        var live = locks.ForWorker(Worker("w1-live"));
        var stale = locks.ForWorker(Worker("w2-stale"));
        _ = Worker("w3-free");
        await using var held = await live.AcquireAsync();
        await using var dead = await AcquireThenLoseHolderAsync(stale);

        var scan = await locks.FindAllAsync(Under);
        Assert.Equal([(live.Worker, WorkerLockState.Locked), (stale.Worker, WorkerLockState.Stale)], scan.Locks.Select(s => (s.Worker, s.State)));
        Assert.Empty(scan.Problems);

        // No live lock names a session, so tmux (here a server that does not exist) is not asked.
        var report = await locks.DetectCollisionsAsync(Under, ["agentlocks-contract-none"]);
        var collision = Assert.Single(report.Collisions);
        Assert.Equal((stale.Worker, WorkerLockCollisionKind.Stale), (collision.Status.Worker, collision.Kind));

        var cleaned = await locks.CleanStaleAsync(Under);
        Assert.Equal([stale.Worker], cleaned.Cleaned.Select(s => s.Worker));
        Assert.Equal([live.Worker], (await locks.FindAllAsync(Under)).Locks.Select(s => s.Worker));
        Assert.True(await held.IsHeldAsync());
    }

    [Fact]
    public async Task Bad_requests_are_invalid_args()
    {
        var locks = await CreateLocksAsync();
        var workerLock = locks.ForWorker(Worker("epsilon"));

        Assert.Equal(ErrorCode.InvalidArgs, Assert.Throws<AgentLocksException>(() => locks.ForWorker("")).Code);
        var zero = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.AcquireAsync(new WorkerLockRequest { MonitorInterval = TimeSpan.Zero }));
        Assert.Equal(ErrorCode.InvalidArgs, zero.Code);
        var notRunning = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.AcquireAsync(new WorkerLockRequest { HolderPid = int.MaxValue }));
        Assert.Equal(ErrorCode.InvalidArgs, notRunning.Code);
        Assert.Equal(WorkerLockState.Unlocked, (await workerLock.GetStatusAsync()).State);
    }
}
