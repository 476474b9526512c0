using System.Diagnostics;

namespace AgentLocks.Tests.Reservations;

/// <summary>beadboard's <c>reservations/.lock</c>: a lock left behind never wedges the store; a live one is respected.</summary>
public sealed class StoreMutexTests : IDisposable
{
    private static readonly AgentId Agent = AgentId.Parse("agent-a");

    // A lock left behind is removed at once, not after the timeout: the bound tells the two apart on a busy machine.
    private static readonly TimeSpan WaitedOut = TimeSpan.FromSeconds(60);
    private readonly TempRoot _root = new();

    public StoreMutexTests() => Directory.CreateDirectory(LockDirectory);

    private string LockDirectory => _root.File("reservations");

    private string LockPath => _root.File("reservations", ".lock");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task A_lock_left_by_a_dead_process_is_removed_at_once()
    {
        await File.WriteAllTextAsync(LockPath, $"{await DeadPidAsync()}\n");
        var elapsed = await TimeRegisterAsync(Store(WaitedOut));
        Assert.True(elapsed < WaitedOut / 2, $"took {elapsed}");
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public async Task A_lock_whose_pid_was_reused_is_removed_at_once()
    {
        // Our own PID is alive, but it did not start one tick after boot: the writer is gone and its PID reused.
        await File.WriteAllTextAsync(LockPath, $"{Environment.ProcessId}\n1\n");
        var elapsed = await TimeRegisterAsync(Store(WaitedOut));
        Assert.True(elapsed < WaitedOut / 2, $"took {elapsed}");
    }

    [Fact]
    public async Task A_lock_written_before_a_reboot_is_removed_at_once()
    {
        // A live PID with its true start time, but another boot: the writer died with the machine.
        var start = LinuxProcessProbe.Instance.StartTime(Environment.ProcessId);
        await File.WriteAllTextAsync(LockPath, $"{Environment.ProcessId}\n{start}\n{Guid.NewGuid()}\n");
        var elapsed = await TimeRegisterAsync(Store(WaitedOut));
        Assert.True(elapsed < WaitedOut / 2, $"took {elapsed}");
    }

    [Fact]
    public async Task A_lock_with_the_live_holders_start_time_and_boot_is_respected()
    {
        var content = $"{Environment.ProcessId}\n{LinuxProcessProbe.Instance.StartTime(Environment.ProcessId)}\n{LinuxProcessProbe.Instance.BootId}\n";
        await File.WriteAllTextAsync(LockPath, content);
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => Store(TimeSpan.FromMilliseconds(200)).RegisterAgentAsync(Agent));
        Assert.Equal(ErrorCode.Locked, error.Code);
        Assert.Equal(content, await File.ReadAllTextAsync(LockPath));
    }

    [Fact]
    public async Task A_lock_held_by_a_live_process_is_waited_for_then_refused_with_locked()
    {
        var content = $"{Environment.ProcessId}\n";
        await File.WriteAllTextAsync(LockPath, content);
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => Store(TimeSpan.FromMilliseconds(300)).RegisterAgentAsync(Agent));
        Assert.Equal(ErrorCode.Locked, error.Code);
        Assert.Contains($"process {Environment.ProcessId}", error.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(LockPath));
    }

    [Fact]
    public async Task A_json_lock_with_a_live_pid_is_respected()
    {
        await File.WriteAllTextAsync(LockPath, $"{{\"pid\": {Environment.ProcessId}}}");
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => Store(TimeSpan.FromMilliseconds(200)).RegisterAgentAsync(Agent));
        Assert.Equal(ErrorCode.Locked, error.Code);
    }

    [Fact]
    public async Task An_unreadable_lock_is_given_a_grace_period_then_removed()
    {
        await File.WriteAllTextAsync(LockPath, "garbage");
        var fresh = await Assert.ThrowsAsync<AgentLocksException>(() => Store(TimeSpan.FromMilliseconds(200)).RegisterAgentAsync(Agent));
        Assert.Equal(ErrorCode.Locked, fresh.Code);

        File.SetLastWriteTimeUtc(LockPath, DateTime.UtcNow.AddMinutes(-1));
        await Store(TimeSpan.FromSeconds(30)).RegisterAgentAsync(Agent);
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public async Task A_symlinked_lock_is_invalid_and_never_followed()
    {
        var target = _root.File("elsewhere.txt");
        await File.WriteAllTextAsync(target, "precious");
        File.CreateSymbolicLink(LockPath, target);

        var error = await Assert.ThrowsAsync<AgentLocksException>(() => Store(TimeSpan.FromSeconds(1)).RegisterAgentAsync(Agent));
        Assert.Equal(ErrorCode.InvalidLock, error.Code);
        Assert.Equal("precious", await File.ReadAllTextAsync(target));
        Assert.NotNull(new FileInfo(LockPath).LinkTarget);
    }

    [Fact]
    public async Task The_lock_holds_our_pid_start_time_and_boot_while_held_and_is_gone_after()
    {
        var (held, mutex) = (string.Empty, await StoreMutex.AcquireAsync(LockPath, TimeSpan.FromSeconds(5), CancellationToken.None));
        using (mutex)
        {
            var inspection = await StoreMutex.InspectAsync(LockPath, removeStale: true, CancellationToken.None);
            Assert.Equal(LockVerdict.Held, inspection.Verdict);
            held = await ReadSharedAsync(LockPath);
        }

        var lines = held.Split('\n');
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[0]);
        Assert.Equal(await OwnStartTicksAsync(), lines[1]);
        Assert.Equal((await File.ReadAllTextAsync("/proc/sys/kernel/random/boot_id")).Trim(), lines[2]);
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public async Task A_status_sweep_waits_for_the_mutex_like_every_write()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new FileReservationStore(_root.Path, new ReservationStoreOptions { TimeProvider = time, LockTimeout = TimeSpan.FromMilliseconds(300) });
        await store.RegisterAgentAsync(Agent);
        await using var held = await store.ReserveAsync(new ReservationRequest(Agent, ScopePattern.Parse("src"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5)));
        time.Advance(TimeSpan.FromMinutes(10)); // due for the sweep
        var active = await File.ReadAllBytesAsync(_root.File("reservations", "active.json"));

        using (await StoreMutex.AcquireAsync(LockPath, TimeSpan.FromSeconds(5), CancellationToken.None))
        {
            var locked = await Assert.ThrowsAsync<AgentLocksException>(() => store.GetStatusAsync());
            Assert.Equal(ErrorCode.Locked, locked.Code);
            Assert.Equal(active, await File.ReadAllBytesAsync(_root.File("reservations", "active.json")));
        }

        Assert.Equal(1, (await store.GetStatusAsync()).Summary.Expired);
    }

    [Fact]
    public async Task Durable_writes_of_one_file_from_many_threads_never_share_a_temporary_name()
    {
        var path = _root.File("reservations", "shared.json");
        var contents = Enumerable.Range(0, 64).Select(i => System.Text.Encoding.UTF8.GetBytes($"writer {i}\n")).ToList();
        using var start = new ManualResetEventSlim();
        var writers = contents.Select(content => Task.Run(() =>
        {
            start.Wait();
            DurableFile.WriteAtomic(path, content);
        })).ToList();
        start.Set();
        await Task.WhenAll(writers);

        // Every writer finished (none found its temporary file taken), the file is one whole write, and no temporary file is left.
        Assert.Contains(await File.ReadAllBytesAsync(path), contents);
        Assert.Equal(["shared.json"], Directory.EnumerateFiles(LockDirectory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Concurrent_stores_in_one_process_grant_one_holder()
    {
        var setup = Store(TimeSpan.FromSeconds(30));
        var agents = Enumerable.Range(0, 16).Select(i => AgentId.Parse($"agent-{i}")).ToList();
        foreach (var agent in agents)
        {
            await setup.RegisterAgentAsync(agent);
        }

        var results = await Task.WhenAll(agents.Select(agent => Task.Run(() =>
            Store(TimeSpan.FromSeconds(30)).TryReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("src/auth"), BeadId.Parse("bd-1"))))));
        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(ErrorCode.ReservationConflict, r.Error!.Code));
        Assert.Empty(Directory.EnumerateFiles(LockDirectory, "*.tmp-*"));
    }

    private static async Task<TimeSpan> TimeRegisterAsync(FileReservationStore store)
    {
        var watch = Stopwatch.StartNew();
        await store.RegisterAgentAsync(Agent);
        return watch.Elapsed;
    }

    /// <summary>The PID of a process that has exited.</summary>
    private static async Task<int> DeadPidAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }

    /// <summary>Our start time in clock ticks since boot: field 22 of <c>/proc/self/stat</c>, read without the probe.</summary>
    private static async Task<string> OwnStartTicksAsync()
    {
        var stat = await File.ReadAllTextAsync("/proc/self/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
    }

    /// <summary>Reads the held lock the way beadboard would (no OS lock of its own).</summary>
    private static async Task<string> ReadSharedAsync(string path)
    {
        // Our holder keeps an exclusive OS lock, which .NET readers honour; /bin/cat does not, as beadboard's node does not.
        using var cat = Process.Start(new ProcessStartInfo("cat", path) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var text = await cat.StandardOutput.ReadToEndAsync();
        await cat.WaitForExitAsync();
        return text;
    }

    private FileReservationStore Store(TimeSpan lockTimeout) => new(_root.Path, new ReservationStoreOptions { LockTimeout = lockTimeout });
}
