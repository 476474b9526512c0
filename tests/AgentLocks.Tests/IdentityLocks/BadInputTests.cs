namespace AgentLocks.Tests.IdentityLocks;

public sealed class BadInputTests : IDisposable
{
    private readonly TempWorker _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> DamagedFiles => new()
    {
        "{not json",
        "[]",
        "null",
        """{"acquired_at": "2026-11-23T18:00:00Z"}""",
        """{"pid": 0, "acquired_at": "2026-11-23T18:00:00Z"}""",
        """{"pid": "12", "acquired_at": "2026-11-23T18:00:00Z"}""",
        """{"pid": 12, "acquired_at": "yesterday"}""",
        """{"pid": 12, "acquired_at": "2026-11-23T18:00:00Z", "session_id": "bad\u0001session"}""",
    };

    [Theory]
    [MemberData(nameof(DamagedFiles))]
    public async Task A_damaged_lock_file_is_invalid_lock_for_every_operation_and_left_untouched(string content)
    {
        TempWorker.WriteLock(_temp.Worker, content);
        var workerLock = new WorkerIdentityLock(_temp.Worker);

        // Not a force release: that removes a damaged regular file, as the error says (HostileTreeTests).
        foreach (var operation in Operations(workerLock).SkipLast(1))
        {
            var error = await Assert.ThrowsAsync<AgentLocksException>(operation);
            Assert.Equal(ErrorCode.InvalidLock, error.Code);
            Assert.Contains(_temp.LockPath, error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(content, File.ReadAllText(_temp.LockPath));
        var scan = await WorkerIdentityLock.FindAllAsync(_temp.Root);
        Assert.Empty(scan.Locks);
        Assert.Equal(ErrorCode.InvalidLock, Assert.Single(scan.Problems).Code);
        Assert.Empty((await WorkerIdentityLock.CleanStaleAsync(_temp.Root)).Cleaned);
        Assert.Equal(content, File.ReadAllText(_temp.LockPath));
    }

    [Fact]
    public async Task A_symlink_at_the_lock_path_is_never_followed_nor_overwritten()
    {
        var target = Path.Combine(_temp.Root, "precious.txt");
        File.WriteAllText(target, """{"pid": 1, "acquired_at": "2026-11-23T18:00:00Z"}""");
        Directory.CreateDirectory(_temp.RuntimeDirectory);
        File.CreateSymbolicLink(_temp.LockPath, target);
        var workerLock = new WorkerIdentityLock(_temp.Worker);

        foreach (var operation in Operations(workerLock))
        {
            var error = await Assert.ThrowsAsync<AgentLocksException>(operation);
            Assert.Equal(ErrorCode.InvalidLock, error.Code);
            Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(target, new FileInfo(_temp.LockPath).LinkTarget);
        Assert.Equal("""{"pid": 1, "acquired_at": "2026-11-23T18:00:00Z"}""", File.ReadAllText(target));
    }

    [Fact]
    public async Task Symlinks_for_the_runtime_directory_or_the_flock_file_are_refused()
    {
        var elsewhere = Directory.CreateDirectory(Path.Combine(_temp.Root, "elsewhere")).FullName;
        Directory.CreateSymbolicLink(_temp.RuntimeDirectory, elsewhere);
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => new WorkerIdentityLock(_temp.Worker).AcquireAsync());
        Assert.Equal(ErrorCode.InvalidLock, error.Code);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));

        var other = _temp.NewWorker("other");
        Directory.CreateDirectory(Path.Combine(other, ".runtime"));
        var target = Path.Combine(_temp.Root, "target");
        File.WriteAllText(target, "keep");
        File.CreateSymbolicLink(Path.Combine(other, ".runtime", "agent.lock.flock"), target);
        error = await Assert.ThrowsAsync<AgentLocksException>(() => new WorkerIdentityLock(other).AcquireAsync());
        Assert.Equal(ErrorCode.InvalidLock, error.Code);
        Assert.False(File.Exists(Path.Combine(other, ".runtime", "agent.lock")));
        Assert.Equal("keep", File.ReadAllText(target));
    }

    [Theory]
    [InlineData("directory")]
    [InlineData("fifo")]
    public async Task A_directory_or_fifo_at_the_lock_path_is_invalid_lock_and_left_in_place(string kind)
    {
        Directory.CreateDirectory(_temp.RuntimeDirectory);
        if (kind == "directory")
        {
            Directory.CreateDirectory(_temp.LockPath);
        }
        else
        {
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [_temp.LockPath]);
            await mkfifo.WaitForExitAsync();
        }

        var workerLock = new WorkerIdentityLock(_temp.Worker);
        foreach (var operation in Operations(workerLock))
        {
            // A FIFO must not hang the reader either.
            var error = await Assert.ThrowsAsync<AgentLocksException>(() => operation().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(ErrorCode.InvalidLock, error.Code);
        }

        Assert.True(Path.Exists(_temp.LockPath));
        Assert.Equal(kind == "directory", Directory.Exists(_temp.LockPath));
    }

    [Fact]
    public async Task A_worker_directory_that_does_not_exist_is_invalid_args_and_nothing_is_created()
    {
        var missing = Path.Combine(_temp.Root, "no-such-worker");
        var workerLock = new WorkerIdentityLock(missing);
        foreach (var operation in Operations(workerLock))
        {
            Assert.Equal(ErrorCode.InvalidArgs, (await Assert.ThrowsAsync<AgentLocksException>(operation)).Code);
        }

        Assert.False(Directory.Exists(missing));
        Assert.Equal(ErrorCode.InvalidArgs, (await Assert.ThrowsAsync<AgentLocksException>(() => WorkerIdentityLock.FindAllAsync(missing))).Code);
    }

    [Fact]
    public async Task Writes_leave_no_temp_files_behind()
    {
        var workerLock = new WorkerIdentityLock(_temp.Worker);
        for (var i = 0; i < 3; i++)
        {
            await using var held = await workerLock.AcquireAsync();
        }

        Assert.Equal(["agent.lock.flock"], Directory.GetFiles(_temp.RuntimeDirectory).Select(Path.GetFileName));
    }

    private static IEnumerable<Func<Task>> Operations(WorkerIdentityLock workerLock) =>
    [
        () => workerLock.AcquireAsync(),
        () => workerLock.TryAcquireAsync(),
        () => workerLock.GetStatusAsync(),
        () => workerLock.ReadAsync(),
        () => workerLock.ReleaseAsync(),
        () => workerLock.CheckAsync(),
        () => workerLock.ForceReleaseAsync(),
    ];
}
