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
        LeftHeld.OnPurpose(abandoned); // never released: its owner "crashed"

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

    [Fact]
    public async Task A_live_lock_whose_tmux_session_is_gone_is_reported_and_left_to_people()
    {
        // A private tmux server with one live session; the lock of a holder whose session is not there is orphaned.
        var socket = "agentlocks-doctor-" + Guid.NewGuid().ToString("N")[..8];
        await RunToolAsync("tmux", "-L", socket, "new-session", "-d", "-s", "live-agent", "sleep", "600");
        try
        {
            var live = await WriteLockAsync("worker-live", $$"""{"pid":{{Environment.ProcessId}},"acquired_at":"2026-11-23T18:00:00Z","session_id":"live-agent","hostname":"{{HostName()}}"}""");
            var orphan = await WriteLockAsync("worker-orphan", $$"""{"pid":{{Environment.ProcessId}},"acquired_at":"2026-11-23T18:00:00Z","session_id":"gone-agent","hostname":"{{HostName()}}"}""");

            var report = Single(await DoctorAsync(fix: false, ["--tmux-socket", socket]), "session-gone");
            Assert.Equal(orphan, report.GetProperty("path").GetString());
            Assert.Contains("gone-agent", report.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("lock release --force", report.GetProperty("repair").GetString(), StringComparison.Ordinal);

            var fixedRun = await DoctorAsync(fix: true, ["--tmux-socket", socket]);
            Assert.Equal("left: its process is alive", Single(fixedRun, "session-gone").GetProperty("action").GetString());
            Assert.True(File.Exists(orphan), "a live holder's lock is never removed by doctor");
            Assert.True(File.Exists(live));
        }
        finally
        {
            await RunToolAsync("tmux", "-L", socket, "kill-server");
        }
    }

    [Fact]
    public async Task Without_tmux_the_rest_is_still_checked_and_the_gap_is_said()
    {
        await WriteLockAsync("worker-session", $$"""{"pid":{{Environment.ProcessId}},"acquired_at":"2026-11-23T18:00:00Z","session_id":"%7","hostname":"{{HostName()}}"}""");
        var stale = await WriteLockAsync("worker-stale", $$"""{"pid":{{await DeadPidAsync()}},"acquired_at":"2026-11-23T18:00:00Z","session_id":"","hostname":"{{HostName()}}"}""");
        var noTmux = Directory.CreateDirectory(Path.Combine(_dir, "empty-path")).FullName;

        var result = await DoctorAsync(fix: false, environment: new Dictionary<string, string?> { ["PATH"] = noTmux });

        Assert.Equal(stale, Single(result, "stale-lock").GetProperty("path").GetString());
        Assert.DoesNotContain(Findings(result), f => f.GetProperty("kind").GetString() == "session-gone");
        Assert.Contains(NotChecked(result), n => n.StartsWith("tmux sessions:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_damaged_store_file_is_reported_in_one_run_and_each_is_moved_aside()
    {
        var store = new FileReservationStore(Root);
        await store.RegisterAgentAsync(AgentId.Parse("agent-a"));
        await store.RegisterAgentAsync(AgentId.Parse("agent-b"));
        await (await store.ReserveAsync(new ReservationRequest(AgentId.Parse("agent-a"), ScopePattern.Parse("src/a/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5)))).DisposeAsync();
        var history = Path.Combine(Root, "reservations", "history.jsonl");
        var agentFile = Path.Combine(Root, "agents", "agent-b.json");
        var lines = await File.ReadAllLinesAsync(history);
        await File.WriteAllLinesAsync(history, [lines[0], "{ not a reservation", .. lines[1..]]); // a bad line in the middle; the tail is whole
        await File.WriteAllTextAsync(agentFile, "{\"agent_id\": ");

        var found = Findings(await DoctorAsync(fix: false)).Where(f => f.GetProperty("kind").GetString() == "damaged-store-file").Select(f => f.GetProperty("path").GetString()).ToList();
        Assert.Equal(new[] { agentFile, history }.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        Assert.Contains("{ not a reservation", await File.ReadAllTextAsync(history));

        var repaired = Findings(await DoctorAsync(fix: true)).Where(f => f.GetProperty("kind").GetString() == "damaged-store-file").ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("action").GetString()!);
        Assert.StartsWith("moved aside to " + history + ".damaged-", repaired[history], StringComparison.Ordinal);
        Assert.Contains("agentlocks agent register --agent agent-b", repaired[agentFile], StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(Root, "agents"), "agent-b.json.damaged-*"));
        Assert.True((await DoctorAsync(fix: false)).Envelope.GetProperty("data").GetProperty("healthy").GetBoolean());
    }

    [Fact]
    public async Task Moving_aside_both_fencing_sources_never_lets_tokens_go_backwards()
    {
        var store = new FileReservationStore(Root);
        var agent = AgentId.Parse("agent-a");
        await store.RegisterAgentAsync(agent);
        long last = 0;
        for (var i = 0; i < 3; i++)
        {
            await using var handle = await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse($"src/{i}/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5)));
            last = handle.FencingToken.Value;
        }

        // active.json (which carries the last token) and the ceiling are both damaged; the history still shows the tokens.
        await File.WriteAllTextAsync(Path.Combine(Root, "reservations", "active.json"), "{ damaged");
        await File.WriteAllTextAsync(Path.Combine(Root, "reservations", "agentlocks.json"), "{ damaged");
        Assert.Equal(2, Findings(await DoctorAsync(fix: true)).Count(f => f.GetProperty("kind").GetString() == "damaged-store-file"));

        await using var next = await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("src/next/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5)));
        Assert.True(next.FencingToken.Value > last, $"token {next.FencingToken.Value} after {last}");
    }

    [Fact]
    public async Task The_fix_answer_says_what_was_done()
    {
        var lockPath = await WriteLockAsync("worker-d", $$"""{"pid":{{await DeadPidAsync()}},"acquired_at":"2026-11-23T18:00:00Z","session_id":"","hostname":"{{HostName()}}"}""");

        var result = await CliRunner.RunAsync(["--root", Root, "doctor", "--under", Workers, "--fix"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"problem\s+path\s+detail\s+done", result.Stdout);
        Assert.Matches($@"stale-lock\s+{System.Text.RegularExpressions.Regex.Escape(lockPath)}\s+.*\s+removed", result.Stdout);
        Assert.Contains("repaired what is safe to repair", result.Stdout, StringComparison.Ordinal);
    }

    private async Task<CliResult> DoctorAsync(bool fix, string[]? more = null, IDictionary<string, string?>? environment = null)
    {
        Directory.CreateDirectory(Workers);
        string[] args = ["--json", "--root", Root, "doctor", "--under", Workers, .. fix ? ["--fix"] : Array.Empty<string>(), .. more ?? []];
        var result = await CliRunner.RunAsync(args, environment);
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        return result;
    }

    private static List<string> NotChecked(CliResult result)
        => [.. result.Envelope.GetProperty("data").GetProperty("not_checked").EnumerateArray().Select(n => n.GetString()!)];

    private static async Task<string> RunToolAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {await stderr}");
        return await stdout;
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
