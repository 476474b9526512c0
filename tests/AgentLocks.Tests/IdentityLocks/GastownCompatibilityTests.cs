using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AgentLocks.Tests.IdentityLocks;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class GastownCompatibilityTests : IDisposable
{
    private readonly TempWorker _temp = new();

    public GastownCompatibilityTests()
    {
        // A copy: the fixture itself is never modified.
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "gastown", "worker", ".runtime");
        Directory.CreateDirectory(_temp.RuntimeDirectory);
        foreach (var file in Directory.GetFiles(fixture))
        {
            File.Copy(file, Path.Combine(_temp.RuntimeDirectory, Path.GetFileName(file)));
        }
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_lock_file_written_by_gastown_is_read_with_its_nanosecond_timestamp_and_pane_id()
    {
        var info = await new WorkerIdentityLock(_temp.Worker).ReadAsync();
        Assert.NotNull(info);
        Assert.Equal(13819, info.Pid);
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T18:53:14.3639807Z", CultureInfo.InvariantCulture), info.AcquiredAt);
        Assert.Equal(SessionId.Parse("%12"), info.Session);
        Assert.Equal(TmuxTargetKind.PaneId, info.Session!.Value.Kind);
        Assert.Equal("vm", info.HostName);
        Assert.Null(info.ProcessStartTime);
        Assert.Null(info.BootId);
    }

    [Fact]
    public async Task Gastowns_lock_is_judged_by_host_then_pid_and_taken_over_when_stale()
    {
        var here = new FakeProcessProbe(hostName: "vm");
        here.Dead.Add(13819);
        var elsewhere = new FakeProcessProbe(hostName: "laptop");
        elsewhere.Dead.Add(13819);

        Assert.Equal(WorkerLockState.ForeignHost, (await new WorkerIdentityLock(_temp.Worker, elsewhere.Environment()).GetStatusAsync()).State);
        var workerLock = new WorkerIdentityLock(_temp.Worker, here.Environment());
        Assert.Equal(WorkerLockState.Stale, (await workerLock.GetStatusAsync()).State);

        await using var held = await workerLock.AcquireAsync(new WorkerLockRequest { Session = SessionId.Parse("gt-polecat-1") });
        Assert.Equal(13819, held.TookOver!.Holder!.Pid);
    }

    [Fact]
    public async Task Our_lock_file_keeps_gastowns_field_names_and_types()
    {
        await new WorkerIdentityLock(_temp.Worker).ForceReleaseAsync();
        await using var held = await new WorkerIdentityLock(_temp.Worker).AcquireAsync(new WorkerLockRequest { Session = SessionId.Parse("%12") });
        using var json = JsonDocument.Parse(File.ReadAllBytes(_temp.LockPath));
        var root = json.RootElement;

        // gastown's LockInfo: pid int, acquired_at time.Time (RFC 3339 text), session_id and hostname strings.
        Assert.Equal(JsonValueKind.Number, root.GetProperty("pid").ValueKind);
        Assert.True(root.GetProperty("pid").TryGetInt32(out _));
        var acquired = root.GetProperty("acquired_at").GetString()!;
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", acquired);
        Assert.Equal(JsonValueKind.String, root.GetProperty("session_id").ValueKind);
        Assert.Equal(JsonValueKind.String, root.GetProperty("hostname").ValueKind);
        Assert.Equal(File.ReadAllBytes(_temp.LockPath).Length, new FileInfo(_temp.LockPath).Length);
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(_temp.LockPath));
    }

    [Fact]
    public async Task The_flock_is_the_one_gastown_takes_so_a_flock_held_elsewhere_makes_us_wait()
    {
        // util-linux flock(1) takes the same flock(2) lock as gastown's syscall.Flock.
        var flockFile = Path.Combine(_temp.RuntimeDirectory, "agent.lock.flock");
        using var holder = Process.Start(new ProcessStartInfo("flock", [flockFile, "sh", "-c", "echo held; read line"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        Assert.Equal("held", await holder.StandardOutput.ReadLineAsync());

        var workerLock = new WorkerIdentityLock(_temp.Worker);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => workerLock.ForceReleaseAsync(giveUp.Token));
        Assert.True(File.Exists(_temp.LockPath));

        // .NET's own share modes would not wait: any FileShare but None takes LOCK_SH|LOCK_NB at open and fails.
        Assert.Throws<IOException>(() => new FileStream(flockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite).Dispose());

        var waiting = workerLock.ForceReleaseAsync();
        Assert.False(waiting.IsCompleted);
        holder.StandardInput.Close();
        await holder.WaitForExitAsync();
        Assert.Equal(13819, (await waiting.WaitAsync(TimeSpan.FromSeconds(30)))!.Holder!.Pid);
        Assert.False(File.Exists(_temp.LockPath));
    }
}
