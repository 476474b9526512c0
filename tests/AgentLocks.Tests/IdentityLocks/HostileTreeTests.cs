using System.Diagnostics;

namespace AgentLocks.Tests.IdentityLocks;

/// <summary>Worker trees another process tampers with, and what gastown itself writes.</summary>
public sealed class HostileTreeTests : IDisposable
{
    private readonly TempWorker _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_runtime_flipping_between_a_directory_and_a_symlink_never_makes_us_write_outside_the_worker()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_temp.Root, "outside")).FullName;
        var started = Path.Combine(_temp.Root, "flipping");
        const string Flip = """
            cd "$1" && mkdir real && ln -s "$2" link && : > "$3"
            while :; do mv -T real .runtime; mv -T .runtime real; mv -T link .runtime; mv -T .runtime link; done 2>/dev/null
            """;
        using var flipper = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", Flip, "flip", _temp.Worker, outside, started]) { UseShellExecute = false })!;
        try
        {
            while (!File.Exists(started))
            {
                Assert.False(flipper.HasExited, "the flipping process died");
                await Task.Delay(5);
            }

            var workerLock = new WorkerIdentityLock(_temp.Worker);
            var watch = Stopwatch.StartNew();
            var operations = 0;
            while (watch.Elapsed < TimeSpan.FromSeconds(3))
            {
                operations++;
                try
                {
                    await using (await workerLock.AcquireAsync())
                    {
                        await workerLock.GetStatusAsync();
                    }

                    await workerLock.ForceReleaseAsync();
                }
                catch (AgentLocksException e) when (e.Code is ErrorCode.InvalidLock or ErrorCode.NotLocked or ErrorCode.Locked)
                {
                    // Refusing a symlinked .runtime is right; so is finding our lock moved away with the directory.
                }
                catch (IOException)
                {
                    // .runtime vanished between two calls of one operation: nothing was written.
                }

                Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
            }

            Assert.True(operations > 10, $"only {operations} operations in 3 seconds");
        }
        finally
        {
            flipper.Kill();
            await flipper.WaitForExitAsync();
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task A_lock_seen_through_a_symlinked_runtime_is_not_the_workers()
    {
        var elsewhere = _temp.NewWorker("elsewhere");
        TempWorker.WriteLock(elsewhere, $$"""{"pid": {{Environment.ProcessId}}, "acquired_at": "2026-11-23T18:00:00Z", "hostname": "{{LinuxProcessProbe.Instance.HostName}}"}""");
        var worker = _temp.NewWorker("tricked");
        File.CreateSymbolicLink(Path.Combine(worker, ".runtime"), Path.Combine(elsewhere, ".runtime"));

        var scan = await WorkerIdentityLock.FindAllAsync(worker);
        Assert.Empty(scan.Locks);
        var problem = Assert.Single(scan.Problems);
        Assert.Equal(ErrorCode.InvalidLock, problem.Code);
        Assert.Contains("symbolic link", problem.Message, StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<AgentLocksException>(() => new WorkerIdentityLock(worker).GetStatusAsync());
        Assert.Equal(ErrorCode.InvalidLock, error.Code);
    }

    [Fact]
    public async Task A_gastown_session_id_with_a_colon_is_read_and_written_verbatim()
    {
        const string Session = "myrig:polecat/nux";
        TempWorker.WriteLock(_temp.Worker, $$"""{"pid": {{Environment.ProcessId}}, "acquired_at": "2026-11-23T18:53:14.363980704Z", "session_id": "{{Session}}", "hostname": "{{LinuxProcessProbe.Instance.HostName}}"}""");
        var workerLock = new WorkerIdentityLock(_temp.Worker);

        var status = await workerLock.GetStatusAsync();
        Assert.Equal(WorkerLockState.Locked, status.State);
        Assert.Equal(Session, status.Holder!.Session!.Value.Value);

        await workerLock.ForceReleaseAsync();
        await using (await workerLock.AcquireAsync(new WorkerLockRequest { Session = SessionId.Parse(Session) }))
        {
            Assert.Contains($"\"session_id\": \"{Session}\"", await File.ReadAllTextAsync(_temp.LockPath), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"pid": -5, "acquired_at": "2026-11-23T18:00:00Z"}""")]
    [InlineData("not json")]
    public async Task A_damaged_lock_file_is_removed_by_a_force_release_as_its_error_says(string content)
    {
        TempWorker.WriteLock(_temp.Worker, content);
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.GetStatusAsync());
        Assert.Contains("a force release removes it", error.Message, StringComparison.Ordinal);

        var removed = await workerLock.ForceReleaseAsync();
        Assert.Equal(WorkerLockState.Stale, removed!.State);
        Assert.Null(removed.Holder);
        Assert.False(File.Exists(_temp.LockPath));
    }

    [Fact]
    public async Task A_directory_in_place_of_the_flock_file_is_an_invalid_lock()
    {
        Directory.CreateDirectory(Path.Combine(_temp.RuntimeDirectory, "agent.lock.flock"));
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => new WorkerIdentityLock(_temp.Worker).AcquireAsync());
        Assert.Equal(ErrorCode.InvalidLock, error.Code);
        Assert.True(Directory.Exists(Path.Combine(_temp.RuntimeDirectory, "agent.lock.flock")));
    }
}
