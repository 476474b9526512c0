using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AgentLocks.Cli.Tests;

/// <summary><c>agentlocks doctor</c>, end to end: each problem is reported without --fix (and left alone), and repaired with it.</summary>
public sealed class DoctorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-doctor-").FullName;

    private string Root => Path.Combine(_dir, "root");

    private string Workers => Path.Combine(_dir, "workers");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_clean_root_is_healthy()
    {
        Directory.CreateDirectory(Workers);
        var result = await DoctorAsync(fix: false);

        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Envelope.GetProperty("ok").GetBoolean());
        Assert.Equal("doctor", result.Envelope.GetProperty("command").GetString());
        Assert.True(result.Envelope.GetProperty("data").GetProperty("healthy").GetBoolean());
    }

    [Fact]
    public async Task A_stale_identity_lock_is_reported_then_removed()
    {
        var lockPath = await WriteLockAsync("worker-a", $$"""{"pid":{{await DeadPidAsync()}},"acquired_at":"2026-11-23T18:00:00Z","session_id":"%3","hostname":"{{HostName()}}"}""");

        var report = Single(await DoctorAsync(fix: false), "stale-lock");
        Assert.Equal(lockPath, report.GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("action").ValueKind);
        Assert.True(File.Exists(lockPath), "doctor without --fix changes nothing");

        var repaired = Single(await DoctorAsync(fix: true), "stale-lock");
        Assert.Equal("removed", repaired.GetProperty("action").GetString());
        Assert.False(File.Exists(lockPath));
    }

    [Fact]
    public async Task A_live_holder_is_not_a_problem()
    {
        var lockPath = await WriteLockAsync("worker-live", $$"""{"pid":{{Environment.ProcessId}},"acquired_at":"2026-11-23T18:00:00Z","session_id":"","hostname":"{{HostName()}}"}""");

        var result = await DoctorAsync(fix: true);

        Assert.DoesNotContain(Findings(result), f => f.GetProperty("kind").GetString() == "stale-lock");
        Assert.True(File.Exists(lockPath));
    }

    [Fact]
    public async Task A_damaged_lock_file_is_moved_aside_never_deleted()
    {
        var lockPath = await WriteLockAsync("worker-b", "{ this is not a lock");

        Single(await DoctorAsync(fix: false), "damaged-lock");
        Assert.Equal("{ this is not a lock", await File.ReadAllTextAsync(lockPath));

        var repaired = Single(await DoctorAsync(fix: true), "damaged-lock");
        Assert.StartsWith("moved aside to " + lockPath + ".damaged-", repaired.GetProperty("action").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(lockPath));
        var aside = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(lockPath)!, "agent.lock.damaged-*"));
        Assert.Equal("{ this is not a lock", await File.ReadAllTextAsync(aside));
    }

    [Fact]
    public async Task An_orphaned_store_mutex_of_a_dead_process_is_reported_then_removed()
    {
        var mutex = Path.Combine(Root, "reservations", ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(mutex)!);
        await File.WriteAllTextAsync(mutex, (await DeadPidAsync()).ToString(CultureInfo.InvariantCulture) + "\n");

        Single(await DoctorAsync(fix: false), "orphaned-mutex");
        Assert.True(File.Exists(mutex));

        Assert.Equal("removed", Single(await DoctorAsync(fix: true), "orphaned-mutex").GetProperty("action").GetString());
        Assert.False(File.Exists(mutex));
    }

    [Fact]
    public async Task An_expired_reservation_is_reported_then_swept_into_the_history()
    {
        // Reserved three hours ago for five minutes, by a store whose clock says so.
        var past = new ReservationStoreOptions { TimeProvider = new ShiftedTime(TimeSpan.FromHours(-3)) };
        var store = new FileReservationStore(Root, past);
        var agent = AgentId.Parse("agent-a");
        await store.RegisterAgentAsync(agent);
        var abandoned = await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("src/auth/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5)));
        GC.KeepAlive(abandoned); // never released: its owner "crashed"

        var report = Single(await DoctorAsync(fix: false), "expired-reservation");
        Assert.Contains("src/auth/** by agent-a", report.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("src/auth/**", await File.ReadAllTextAsync(Path.Combine(Root, "reservations", "active.json")));

        Single(await DoctorAsync(fix: true), "expired-reservation");
        Assert.DoesNotContain("src/auth/**", await File.ReadAllTextAsync(Path.Combine(Root, "reservations", "active.json")));
        Assert.Contains("expired", await File.ReadAllTextAsync(Path.Combine(Root, "reservations", "history.jsonl")));
        Assert.True((await DoctorAsync(fix: false)).Envelope.GetProperty("data").GetProperty("healthy").GetBoolean());
    }

    [Fact]
    public async Task A_damaged_active_file_is_moved_aside_with_a_timestamp()
    {
        var active = Path.Combine(Root, "reservations", "active.json");
        Directory.CreateDirectory(Path.GetDirectoryName(active)!);
        await File.WriteAllTextAsync(active, "[{ truncated");

        var report = Single(await DoctorAsync(fix: false), "damaged-store-file");
        Assert.Equal(active, report.GetProperty("path").GetString());
        Assert.Equal("[{ truncated", await File.ReadAllTextAsync(active));

        var repaired = Single(await DoctorAsync(fix: true), "damaged-store-file");
        Assert.Matches(@"^moved aside to .*active\.json\.damaged-\d{8}T\d{6}Z$", repaired.GetProperty("action").GetString());
        Assert.False(File.Exists(active));
        Assert.Equal("[{ truncated", await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Path.GetDirectoryName(active)!, "active.json.damaged-*"))));
    }

    [Fact]
    public async Task The_human_answer_is_a_table_that_says_how_to_repair()
    {
        await WriteLockAsync("worker-c", $$"""{"pid":{{await DeadPidAsync()}},"acquired_at":"2026-11-23T18:00:00Z","session_id":"%1","hostname":"{{HostName()}}"}""");

        var result = await CliRunner.RunAsync(["--root", Root, "doctor", "--under", Workers]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("problem", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("stale-lock", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("run doctor --fix", result.Stdout, StringComparison.Ordinal);
    }

    private async Task<CliResult> DoctorAsync(bool fix)
    {
        Directory.CreateDirectory(Workers);
        string[] args = fix
            ? ["--json", "--root", Root, "doctor", "--under", Workers, "--fix"]
            : ["--json", "--root", Root, "doctor", "--under", Workers];
        var result = await CliRunner.RunAsync(args);
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        return result;
    }

    private async Task<string> WriteLockAsync(string worker, string content)
    {
        var runtime = Path.Combine(Workers, worker, ".runtime");
        Directory.CreateDirectory(runtime);
        var path = Path.Combine(runtime, "agent.lock");
        await File.WriteAllTextAsync(path, content);
        return path;
    }

    private static List<JsonElement> Findings(CliResult result)
        => [.. result.Envelope.GetProperty("data").GetProperty("findings").EnumerateArray()];

    private static JsonElement Single(CliResult result, string kind)
        => Assert.Single(Findings(result), f => f.GetProperty("kind").GetString() == kind);

    private static string HostName() => File.ReadAllText("/proc/sys/kernel/hostname").Trim();

    /// <summary>The PID of a process that has exited.</summary>
    private static async Task<int> DeadPidAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + shift;
    }
}
