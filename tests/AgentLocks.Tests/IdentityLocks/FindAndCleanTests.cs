namespace AgentLocks.Tests.IdentityLocks;

public sealed class FindAndCleanTests : IDisposable
{
    private readonly TempWorker _temp = new();
    private readonly FakeProcessProbe _probe = new();

    public FindAndCleanTests() => _probe.Dead.Add(424242);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Finding_locks_skips_heavy_directories_and_symlinks_and_reports_damaged_files()
    {
        var live = _temp.NewWorker("town", "polecat-1");
        var stale = _temp.NewWorker("town", "polecat-2");
        var damaged = _temp.NewWorker("town", "polecat-3");
        await using var held = await new WorkerIdentityLock(live).AcquireAsync();
        WriteLock(stale, 424242);
        TempWorker.WriteLock(damaged, "{");
        foreach (var heavy in new[] { ".git", "node_modules", "bin", "obj" })
        {
            WriteLock(_temp.NewWorker("town", heavy, "inner"), 424242);
        }

        Directory.CreateSymbolicLink(Path.Combine(_temp.Root, "town", "loop"), Path.Combine(_temp.Root, "town"));

        var scan = await WorkerIdentityLock.FindAllAsync(Path.Combine(_temp.Root, "town"), _probe.Environment(), default);
        Assert.Equal([live, stale], scan.Locks.Select(s => s.Worker));
        Assert.Equal([WorkerLockState.Locked, WorkerLockState.Stale], scan.Locks.Select(s => s.State));
        var problem = Assert.Single(scan.Problems);
        Assert.Equal(ErrorCode.InvalidLock, problem.Code);
        Assert.StartsWith(damaged, problem.Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clean_removes_only_stale_locks_and_counts_them()
    {
        var live = _temp.NewWorker("a");
        var stale1 = _temp.NewWorker("b");
        var stale2 = _temp.NewWorker("c", "d");
        var foreign = _temp.NewWorker("e");
        await using var held = await new WorkerIdentityLock(live).AcquireAsync();
        WriteLock(stale1, 424242);
        WriteLock(stale2, 424242);
        WriteLock(foreign, 424242, host: "elsewhere");

        var result = await WorkerIdentityLock.CleanStaleAsync(_temp.Root, _probe.Environment(), default);
        Assert.Equal([stale1, stale2], result.Cleaned.Select(s => s.Worker));
        Assert.All(result.Cleaned, s => Assert.Equal(424242, s.Holder!.Pid));
        Assert.False(File.Exists(Path.Combine(stale1, ".runtime", "agent.lock")));
        Assert.False(File.Exists(Path.Combine(stale2, ".runtime", "agent.lock")));
        Assert.True(File.Exists(Path.Combine(live, ".runtime", "agent.lock")));
        Assert.True(File.Exists(Path.Combine(foreign, ".runtime", "agent.lock")));
        Assert.True(await held.IsHeldAsync());
    }

    [Fact]
    public async Task Clean_judges_again_under_the_flock_and_spares_a_lock_retaken_meanwhile()
    {
        var worker = _temp.NewWorker("w");
        WriteLock(worker, 424242);
        WorkerLockHandle? retaken = null;
        _probe.BeforeProbe = pid =>
        {
            // The scan has just seen the stale lock: another process takes the worker over before the removal.
            if (pid == 424242 && retaken is null)
            {
                retaken = new WorkerIdentityLock(worker).AcquireAsync().GetAwaiter().GetResult();
            }
        };

        var result = await WorkerIdentityLock.CleanStaleAsync(_temp.Root, _probe.Environment(), default);
        Assert.NotNull(retaken);
        await using (retaken)
        {
            Assert.Empty(result.Cleaned);
            Assert.True(await retaken.IsHeldAsync());
        }
    }

    private void WriteLock(string worker, int pid, string? host = null)
        => TempWorker.WriteLock(worker, $$"""{"pid": {{pid}}, "acquired_at": "2026-11-23T18:00:00Z", "session_id": "gt-x", "hostname": "{{host ?? _probe.HostName}}"}""");
}
