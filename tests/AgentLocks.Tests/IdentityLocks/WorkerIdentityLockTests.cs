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
        Assert.Null(await workerLock.TryAcquireAsync());
    }

    [Fact]
    public async Task Dispose_is_idempotent_and_does_not_remove_a_later_holders_lock()
    {
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        var first = await workerLock.AcquireAsync();
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
