using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentLocks.Cli.Tests;

/// <summary>
/// <c>agent register</c>, <c>reserve</c>, <c>release</c>, <c>renew</c> and <c>status</c>, end to end: the envelope,
/// exit codes and error codes of cli.md, on an empty root and on a root beadboard wrote.
/// </summary>
public sealed class ReservationCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-reservations-").FullName;

    private string Root => Path.Combine(_dir, "agent");

    private string ActivePath => Path.Combine(Root, "reservations", "active.json");

    private string HistoryPath => Path.Combine(Root, "reservations", "history.jsonl");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Register_and_reserve_answer_with_one_envelope_carrying_beadboards_fields()
    {
        var registered = (await JsonAsync("agent", "register", "--agent", "agent-a", "--role", "backend", "--display", "Agent A")).Succeeds("agent register");
        Assert.Equal("agent-a", registered.GetProperty("agent_id").GetString());
        Assert.Equal("backend", registered.GetProperty("role").GetString());
        Assert.Equal("Agent A", registered.GetProperty("display_name").GetString());
        Assert.True(File.Exists(Path.Combine(Root, "agents", "agent-a.json")));

        var reserved = (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "./src/auth/", "--bead", "bd-1", "--ttl", "30")).Succeeds("agent reserve");

        // Every field beadboard's own reserve envelope carried is here too.
        var beadboard = BeadboardEnvelopes()[0].GetProperty("data");
        Assert.All(beadboard.EnumerateObject(), field => Assert.True(reserved.TryGetProperty(field.Name, out _), $"missing {field.Name}"));
        Assert.Equal("src/auth", reserved.GetProperty("scope").GetString());
        Assert.Equal("active", reserved.GetProperty("state").GetString());
        Assert.Equal("exclusive", reserved.GetProperty("mode").GetString());
        Assert.Equal(TimeSpan.FromMinutes(30), Instant(reserved, "expires_at") - Instant(reserved, "created_at"));
        Assert.Equal(JsonValueKind.Null, reserved.GetProperty("released_at").ValueKind);
        Assert.True(reserved.GetProperty("fencing_token").GetInt64() > 0);

        // The command ended, the reservation did not: it lives in the store until its TTL or a release.
        var status = (await JsonAsync("status")).Succeeds("agent status");
        Assert.Equal(reserved.GetProperty("reservation_id").GetString(), Assert.Single(status.GetProperty("reservations").EnumerateArray()).GetProperty("reservation_id").GetString());
    }

    [Fact]
    public async Task Reserve_without_ttl_takes_120_minutes_and_shared_is_recorded()
    {
        await RegisterAsync("agent-a");
        var reserved = (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "docs/**", "--bead", "bd-1", "--shared")).Succeeds("agent reserve");
        Assert.Equal(TimeSpan.FromMinutes(120), Instant(reserved, "expires_at") - Instant(reserved, "created_at"));
        Assert.Equal("shared", reserved.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task A_reason_is_stored_beside_beadboards_fields_and_shown_by_status_and_history()
    {
        await RegisterAsync("agent-a");
        await RegisterAsync("agent-b");
        (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src/auth", "--bead", "bd-1", "--reason", "splitting the login flow")).Succeeds("agent reserve");
        (await JsonAsync("reserve", "--agent", "agent-b", "--scope", "docs", "--bead", "bd-2")).Succeeds("agent reserve");

        var status = (await JsonAsync("status")).Succeeds("agent status").GetProperty("reservations").EnumerateArray().ToList();
        Assert.Equal("splitting the login flow", status.Single(r => r.GetProperty("agent_id").GetString() == "agent-a").GetProperty("reason").GetString());
        Assert.False(status.Single(r => r.GetProperty("agent_id").GetString() == "agent-b").TryGetProperty("reason", out _));
        using var active = JsonDocument.Parse(await File.ReadAllTextAsync(ActivePath));
        Assert.Equal("splitting the login flow", active.RootElement.GetProperty("reservations").EnumerateArray()
            .Single(r => r.GetProperty("agent_id").GetString() == "agent-a").GetProperty("reason").GetString());

        (await JsonAsync("release", "--agent", "agent-a", "--scope", "src/auth")).Succeeds("agent release");
        Assert.All(File.ReadAllLines(HistoryPath).Where(l => l.Contains("\"agent-a\"", StringComparison.Ordinal)),
            line => Assert.Equal("splitting the login flow", JsonDocument.Parse(line).RootElement.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task An_overlapping_scope_of_another_agent_is_a_conflict_with_exit_3()
    {
        await RegisterAsync("agent-a", "agent-b");
        (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src/auth/**", "--bead", "bd-1")).Succeeds("agent reserve");
        var active = await File.ReadAllBytesAsync(ActivePath);

        var error = (await JsonAsync("reserve", "--agent", "agent-b", "--scope", "src", "--bead", "bd-2")).Fails("agent reserve", 3, "RESERVATION_CONFLICT");
        Assert.Contains("agent-a", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(active, await File.ReadAllBytesAsync(ActivePath));

        // Two shared reservations coexist; an exclusive one still conflicts with them.
        (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "docs", "--bead", "bd-1", "--shared")).Succeeds("agent reserve");
        (await JsonAsync("reserve", "--agent", "agent-b", "--scope", "docs/auth.md", "--bead", "bd-2", "--shared")).Succeeds("agent reserve");
        (await JsonAsync("reserve", "--agent", "agent-b", "--scope", "docs/api.md", "--bead", "bd-2")).Fails("agent reserve", 3, "RESERVATION_CONFLICT");
    }

    [Fact]
    public async Task An_expired_beadboard_reservation_is_stale_found_until_takeover_is_asked()
    {
        CopyBeadboardFixture(); // agent-a's /repo/src/auth ran out on 2026-11-23

        (await JsonAsync("reserve", "--agent", "agent-b", "--scope", "/repo/src/auth/login.ts", "--bead", "bb-101")).Fails("agent reserve", 3, "RESERVATION_STALE_FOUND");

        var taken = (await JsonAsync("reserve", "--agent", "agent-b", "--scope", "/repo/src/auth/login.ts", "--bead", "bb-101", "--takeover-stale")).Succeeds("agent reserve");
        Assert.Equal("agent-b", taken.GetProperty("agent_id").GetString());

        using var takeover = JsonDocument.Parse((await File.ReadAllLinesAsync(HistoryPath))[^2]);
        Assert.Equal("taken_over", takeover.RootElement.GetProperty("event").GetString());
        Assert.Equal("agent-a", takeover.RootElement.GetProperty("agent_id").GetString());
        Assert.Equal("agent-b", takeover.RootElement.GetProperty("taken_over_by").GetString());
        Assert.Equal(taken.GetProperty("reservation_id").GetString(), takeover.RootElement.GetProperty("successor_reservation_id").GetString());
    }

    [Fact]
    public async Task Release_is_for_the_owner_only()
    {
        await RegisterAsync("agent-a", "agent-b");
        var reserved = (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src/auth", "--bead", "bd-1")).Succeeds("agent reserve");

        (await JsonAsync("release", "--agent", "agent-b", "--scope", "src/auth")).Fails("agent release", 4, "RELEASE_FORBIDDEN");

        var released = (await JsonAsync("release", "--agent", "agent-a", "--scope", "src/auth")).Succeeds("agent release");
        Assert.Equal(reserved.GetProperty("reservation_id").GetString(), released.GetProperty("reservation_id").GetString());
        Assert.Equal("released", released.GetProperty("state").GetString());
        Assert.NotEqual(JsonValueKind.Null, released.GetProperty("released_at").ValueKind);

        (await JsonAsync("release", "--agent", "agent-a", "--scope", "src/auth")).Fails("agent release", 4, "RESERVATION_NOT_FOUND");
        (await JsonAsync("release", "--agent", "stranger", "--scope", "src/auth")).Fails("agent release", 4, "AGENT_NOT_FOUND");
    }

    [Fact]
    public async Task Renew_extends_for_the_owner_only()
    {
        await RegisterAsync("agent-a", "agent-b");
        var reserved = (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1", "--ttl", "5")).Succeeds("agent reserve");

        var before = DateTimeOffset.UtcNow;
        var renewed = (await JsonAsync("renew", "--agent", "agent-a", "--scope", "src", "--ttl", "60")).Succeeds("agent renew");
        var after = DateTimeOffset.UtcNow;
        Assert.Equal(reserved.GetProperty("reservation_id").GetString(), renewed.GetProperty("reservation_id").GetString());
        Assert.Equal(reserved.GetProperty("fencing_token").GetInt64(), renewed.GetProperty("fencing_token").GetInt64());
        Assert.InRange(Instant(renewed, "expires_at"), Floor(before) + TimeSpan.FromMinutes(60), after + TimeSpan.FromMinutes(60));

        (await JsonAsync("renew", "--agent", "agent-b", "--scope", "src")).Fails("agent renew", 4, "RELEASE_FORBIDDEN");
        (await JsonAsync("renew", "--agent", "agent-a", "--scope", "src", "--ttl", "2")).Fails("agent renew", 2, "INVALID_ARGS");
        (await JsonAsync("renew", "--agent", "agent-a", "--scope", "docs")).Fails("agent renew", 4, "RESERVATION_NOT_FOUND");
    }

    [Theory]
    [InlineData("10abc")]
    [InlineData("1.5")]
    [InlineData("-5")]
    [InlineData("")]
    [InlineData("4")]
    [InlineData("1441")]
    public async Task A_ttl_that_is_not_whole_minutes_from_5_to_1440_is_invalid_args(string ttl)
    {
        await RegisterAsync("agent-a");
        var error = (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1", "--ttl=" + ttl)).Fails("agent reserve", 2, "INVALID_ARGS");
        Assert.Contains(ttl.Length == 0 ? "--ttl" : "minutes", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(ActivePath), "a refused request writes nothing");
    }

    [Theory]
    [InlineData("10abc")]
    [InlineData("1.5")]
    [InlineData("-5")]
    [InlineData("")]
    public async Task A_wait_that_is_not_whole_seconds_is_invalid_args(string wait)
    {
        await RegisterAsync("agent-a");
        var error = (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1", "--wait=" + wait)).Fails("agent reserve", 2, "INVALID_ARGS");
        Assert.Contains(wait.Length == 0 ? "--wait" : "seconds", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(ActivePath), "a refused request writes nothing");
    }

    [Fact]
    public async Task Reserve_with_wait_is_granted_when_the_holder_releases()
    {
        await RegisterAsync("agent-a", "agent-b");
        var held = (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src/auth/**", "--bead", "bd-1")).Succeeds("agent reserve");

        // The waiter's first try takes and gives back the store mutex; once it has, the waiter is waiting.
        var tried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(ActivePath)!, ".lock") { EnableRaisingEvents = true };
        watcher.Deleted += (_, _) => tried.TrySetResult();
        var waiting = JsonAsync("reserve", "--agent", "agent-b", "--scope", "src/auth/login.cs", "--bead", "bd-2", "--wait", "600");
        await tried.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(waiting.IsCompleted);

        (await JsonAsync("release", "--agent", "agent-a", "--scope", "src/auth/**")).Succeeds("agent release");
        var granted = (await waiting.WaitAsync(TimeSpan.FromSeconds(60))).Succeeds("agent reserve");
        Assert.Equal("agent-b", granted.GetProperty("agent_id").GetString());
        Assert.True(granted.GetProperty("fencing_token").GetInt64() > held.GetProperty("fencing_token").GetInt64());
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("src/../../etc")]
    [InlineData("src//auth")]
    public async Task A_scope_that_leaves_the_repository_or_is_malformed_is_invalid_args(string scope)
    {
        await RegisterAsync("agent-a");
        (await JsonAsync("reserve", "--agent", "agent-a", "--scope", scope, "--bead", "bd-1")).Fails("agent reserve", 2, "INVALID_ARGS");
        (await JsonAsync("release", "--agent", "agent-a", "--scope", scope)).Fails("agent release", 2, "INVALID_ARGS");
        Assert.False(File.Exists(ActivePath));
    }

    [Fact]
    public async Task Missing_and_unknown_options_are_invalid_args()
    {
        (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src")).Fails("agent reserve", 2, "INVALID_ARGS");
        (await JsonAsync("status", "--worker", "x")).Fails("agent status", 2, "INVALID_ARGS");
        (await JsonAsync("reserve", "--agent", "Agent A", "--scope", "src", "--bead", "bd-1")).Fails("agent reserve", 2, "INVALID_ARGS");
    }

    [Fact]
    public async Task An_unregistered_agent_cannot_reserve()
        => (await JsonAsync("reserve", "--agent", "agent-z", "--scope", "src", "--bead", "bd-1")).Fails("agent reserve", 4, "AGENT_NOT_FOUND");

    [Theory]
    [InlineData("active.json", "{\"reservations\": [ {\"reservation_id\": ")]
    [InlineData("history.jsonl", "not json\n")]
    [InlineData("history.jsonl", "{\"reservation_id\":\"res_")]
    public async Task A_damaged_store_file_is_store_corrupt_with_exit_5_and_left_byte_for_byte(string file, string damage)
    {
        CopyBeadboardFixture();
        var path = Path.Combine(Root, "reservations", file);
        if (file == "active.json")
        {
            await File.WriteAllTextAsync(path, damage);
        }
        else
        {
            await File.AppendAllTextAsync(path, damage);
        }

        var before = await SnapshotAsync();
        (await JsonAsync("reserve", "--agent", "agent-b", "--scope", "/repo/lib", "--bead", "bb-1")).Fails("agent reserve", 5, "STORE_CORRUPT");
        (await JsonAsync("release", "--agent", "agent-a", "--scope", "/repo/src/auth")).Fails("agent release", 5, "STORE_CORRUPT");
        (await JsonAsync("status")).Fails("agent status", 5, "STORE_CORRUPT");

        var after = await SnapshotAsync();
        Assert.Equal(before.Keys, after.Keys); // no file added (no mutex or temporary file left) and none removed
        Assert.All(before, pair => Assert.Equal(pair.Value, after[pair.Key]));
    }

    [Fact]
    public async Task A_store_mutex_held_by_a_live_process_is_locked_with_exit_3()
    {
        await RegisterAsync("agent-a");
        var mutex = Path.Combine(Root, "reservations", ".lock");
        var content = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"; // this test process lives on
        await File.WriteAllTextAsync(mutex, content);

        var error = (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1")).Fails("agent reserve", 3, "LOCKED");
        Assert.Contains(mutex, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(mutex));
        Assert.False(File.Exists(ActivePath));
    }

    [Fact]
    public async Task Status_filters_by_bead_and_agent_with_summary_counts_and_unacknowledged_messages()
    {
        CopyBeadboardFixture(); // history: agent-b released bb-102 and let bb-103 expire; agent-a's bb-101 is now expired too
        await RegisterAsync("agent-c");
        (await JsonAsync("reserve", "--agent", "agent-c", "--scope", "/repo/lib", "--bead", "bb-104")).Succeeds("agent reserve");

        var all = (await JsonAsync("status")).Succeeds("agent status");
        Assert.Equal(["/repo/lib"], Scopes(all));
        // beadboard's handoff message, and the notice to agent-a that its reservation was swept after expiry.
        Assert.Equal((1, 1, 2, 2), Summary(all));
        var messages = all.GetProperty("unacked_required_messages").EnumerateArray().ToList();
        Assert.Contains(messages, m => m.GetProperty("message_id").GetString() == "msg_20261123_185400_9c1e");
        Assert.Contains(messages, m => m.GetProperty("from_agent").GetString() == "agentlocks" && m.GetProperty("to_agent").GetString() == "agent-a");

        // The sweep moved agent-a's reservation into the history, once.
        Assert.Contains(File.ReadLines(HistoryPath), l => l.Contains("res_20261123_185327.347Z_4ba5", StringComparison.Ordinal) && l.Contains("\"expired\"", StringComparison.Ordinal));
        Assert.Equal((1, 1, 2, 2), Summary((await JsonAsync("status")).Succeeds("agent status")));

        var agentA = (await JsonAsync("status", "--agent", "agent-a")).Succeeds("agent status");
        Assert.Empty(Scopes(agentA));
        Assert.Equal((0, 0, 1, 2), Summary(agentA));

        var agentB = (await JsonAsync("status", "--agent", "agent-b")).Succeeds("agent status");
        Assert.Equal((0, 1, 1, 0), Summary(agentB));

        var bead = (await JsonAsync("status", "--bead", "bb-104")).Succeeds("agent status");
        Assert.Equal(["/repo/lib"], Scopes(bead));
        Assert.Equal((1, 0, 0, 0), Summary(bead));

        Assert.Equal((0, 0, 1, 2), Summary((await JsonAsync("status", "--bead", "bb-101", "--agent", "agent-a")).Succeeds("agent status")));
        Assert.Equal((0, 0, 0, 0), Summary((await JsonAsync("status", "--bead", "bb-101", "--agent", "agent-b")).Succeeds("agent status")));
        (await JsonAsync("status", "--agent", "stranger")).Fails("agent status", 4, "AGENT_NOT_FOUND");

        // beadboard's status shape: the same keys, in data and in its summary.
        var beadboard = BeadboardEnvelopes()[^1].GetProperty("data");
        Assert.Equal(Keys(beadboard), Keys(all));
        Assert.Equal(Keys(beadboard.GetProperty("summary")), Keys(all.GetProperty("summary")));
    }

    [Fact]
    public async Task The_human_status_is_a_table_of_holder_scope_bead_expiry_and_token_without_colour_in_a_pipe()
    {
        CopyBeadboardFixture();
        await RegisterAsync("agent-c");
        var reserved = (await JsonAsync("reserve", "--agent", "agent-c", "--scope", "/repo/src/api/**", "--bead", "bb-104", "--ttl", "30")).Succeeds("agent reserve");

        var result = await CliRunner.RunAsync(["--root", Root, "status"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Stderr);
        Assert.DoesNotContain('\e', result.Stdout);
        var lines = result.Stdout.Split('\n');
        Assert.Matches(@"^HOLDER +SCOPE +BEAD +EXPIRES IN +FENCING TOKEN$", lines[0]);
        var row = Regex.Split(lines[1].TrimEnd(), "  +");
        Assert.Equal(["agent-c", "/repo/src/api/**", "bb-104"], row[..3]);
        Assert.Matches(@"^(29m [0-5]\ds|30m 00s)$", row[3]);
        Assert.Equal(reserved.GetProperty("fencing_token").GetInt64().ToString(CultureInfo.InvariantCulture), row[4]);

        // Columns line up under their headings.
        Assert.Equal(lines[0].IndexOf("SCOPE", StringComparison.Ordinal), lines[1].IndexOf("/repo", StringComparison.Ordinal));
        Assert.Equal(lines[0].IndexOf("FENCING", StringComparison.Ordinal), lines[1].LastIndexOf(row[4], StringComparison.Ordinal));

        Assert.Contains("msg_20261123_185400_9c1e", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Auth module ready for review", result.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("1 active, 1 released, 2 expired, 2 unacknowledged required message(s)\n", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_human_status_is_coloured_on_a_terminal_unless_NO_COLOR_is_set()
    {
        await RegisterAsync("agent-a");
        (await JsonAsync("reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1", "--ttl", "5")).Succeeds("agent reserve");

        var coloured = await OnTerminalAsync(noColor: null);
        Assert.Contains("\e[1mHOLDER\e[0m", coloured, StringComparison.Ordinal);
        Assert.Matches("\e\\[33m4m [0-5][0-9]s\e\\[0m", coloured); // under five minutes left: a warning colour

        var plain = await OnTerminalAsync(noColor: "1");
        Assert.Contains("HOLDER", plain, StringComparison.Ordinal);
        Assert.DoesNotMatch("\e\\[[0-9;]*m", plain);
    }

    [Fact]
    public async Task The_human_answers_of_reserve_release_and_errors()
    {
        await RegisterAsync("agent-a", "agent-b");
        var reserve = await CliRunner.RunAsync(["--root", Root, "reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1"]);
        Assert.Equal(0, reserve.ExitCode);
        Assert.StartsWith("reserved src for agent-a (bead bd-1, exclusive) until ", reserve.Stdout, StringComparison.Ordinal);

        var conflict = await CliRunner.RunAsync(["--root", Root, "reserve", "--agent", "agent-b", "--scope", "src/x", "--bead", "bd-2"]);
        Assert.Equal(3, conflict.ExitCode);
        Assert.Equal(string.Empty, conflict.Stdout);
        Assert.StartsWith("agentlocks: RESERVATION_CONFLICT: ", conflict.Stderr, StringComparison.Ordinal);

        var release = await CliRunner.RunAsync(["--root", Root, "release", "--agent", "agent-a", "--scope", "src"]);
        Assert.Equal(0, release.ExitCode);
        Assert.Equal("released src (agent agent-a, bead bd-1)\n", release.Stdout);
    }

    private static List<string> Keys(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];

    private static List<string?> Scopes(JsonElement status)
        => [.. status.GetProperty("reservations").EnumerateArray().Select(r => r.GetProperty("scope").GetString())];

    private static (int Active, int Released, int Expired, int Unacked) Summary(JsonElement status)
    {
        var s = status.GetProperty("summary");
        return (s.GetProperty("active").GetInt32(), s.GetProperty("released").GetInt32(), s.GetProperty("expired").GetInt32(), s.GetProperty("unacked_required_messages").GetInt32());
    }

    private static DateTimeOffset Instant(JsonElement element, string name)
        => DateTimeOffset.Parse(element.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);

    /// <summary>Timestamps are written to the millisecond.</summary>
    private static DateTimeOffset Floor(DateTimeOffset instant) => instant.AddTicks(-(instant.Ticks % TimeSpan.TicksPerMillisecond));

    private static List<JsonElement> BeadboardEnvelopes()
        => [.. File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "beadboard", "envelopes.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private Task<CliResult> JsonAsync(params string[] args) => CliRunner.RunAsync(["--json", "--root", Root, .. args]);

    private async Task RegisterAsync(params string[] agents)
    {
        foreach (var agent in agents)
        {
            (await JsonAsync("agent", "register", "--agent", agent)).Succeeds("agent register");
        }
    }

    /// <summary>A copy of the files beadboard wrote (never the fixture itself) as the root.</summary>
    private void CopyBeadboardFixture()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "beadboard", "agent");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(Root, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Every file under the root and its bytes, but the mutex's line of waiters (<c>.lock.queue</c>), which every call moves.</summary>
    private async Task<SortedDictionary<string, byte[]>> SnapshotAsync()
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != ".lock.queue"))
        {
            files[Path.GetRelativePath(Root, file)] = await File.ReadAllBytesAsync(file);
        }

        return files;
    }

    /// <summary>Runs <c>status</c> with stdout on a pseudo-terminal (util-linux <c>script</c>), as a person at a shell sees it.</summary>
    private async Task<string> OnTerminalAsync(string? noColor)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "AgentLocks.Cli.dll");
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["-qec", $"dotnet '{tool}' --root '{Root}' status", "/dev/null"])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TERM"] = "xterm";
        start.Environment.Remove("NO_COLOR");
        if (noColor is not null)
        {
            start.Environment["NO_COLOR"] = noColor;
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output);
        return output;
    }
}
