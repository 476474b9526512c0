using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentLocks.Cli.Tests;

/// <summary>The <c>agentlocks lock ...</c> commands end to end: the envelope, the exit codes of cli.md, and bad input.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LockCommandTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-lockcli-").FullName;
    private readonly List<Process> _children = [];

    private string Worker => Path.Combine(_dir, "worker");

    private string LockPath => Path.Combine(Worker, ".runtime", "agent.lock");

    public LockCommandTests()
    {
        // Readable by others: some tests run the tool as another user.
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Worker);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var child in _children)
        {
            if (!child.HasExited)
            {
                child.Kill();
                await child.WaitForExitAsync();
            }

            child.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Acquire_for_another_pid_outlives_the_command_and_only_that_pid_releases_it()
    {
        var agent = StartSleep();
        var acquired = Ok(await LockAsync("acquire", "--worker", Worker, "--session", "gt-polecat-1", "--pid", Pid(agent)), "lock acquire");
        Assert.Equal("locked", acquired.GetProperty("state").GetString());
        Assert.Equal(agent.Id, acquired.GetProperty("pid").GetInt32());
        Assert.Equal("gt-polecat-1", acquired.GetProperty("session_id").GetString());
        Assert.Equal(HostName(), acquired.GetProperty("hostname").GetString());
        Assert.Equal(JsonValueKind.Null, acquired.GetProperty("took_over").ValueKind);
        using (var file = JsonDocument.Parse(File.ReadAllText(LockPath)))
        {
            Assert.Equal(agent.Id, file.RootElement.GetProperty("pid").GetInt32());
        }

        var status = Ok(await LockAsync("status", "--worker", Worker), "lock status");
        Assert.Equal("locked", status.GetProperty("state").GetString());
        Assert.Equal(agent.Id, status.GetProperty("pid").GetInt32());
        Assert.True(status.GetProperty("age_seconds").GetDouble() >= 0);
        Assert.True(DateTimeOffset.TryParse(status.GetProperty("acquired_at").GetString(), CultureInfo.InvariantCulture, out _));

        Error(await LockAsync("acquire", "--worker", Worker), 3, "LOCKED", "lock acquire");

        // Without --pid the holder is the caller (this test process), which does not hold it.
        var before = File.ReadAllBytes(LockPath);
        Error(await LockAsync("release", "--worker", Worker), 4, "NOT_LOCKED", "lock release");
        Assert.Equal(before, File.ReadAllBytes(LockPath));

        var released = Ok(await LockAsync("release", "--worker", Worker, "--pid", Pid(agent)), "lock release");
        Assert.True(released.GetProperty("released").GetBoolean());
        Assert.False(released.GetProperty("forced").GetBoolean());
        Assert.Equal(agent.Id, released.GetProperty("removed").GetProperty("pid").GetInt32());
        Assert.False(File.Exists(LockPath));

        var unlocked = Ok(await LockAsync("status", "--worker", Worker), "lock status");
        Assert.Equal("unlocked", unlocked.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, unlocked.GetProperty("pid").ValueKind);
        Error(await LockAsync("release", "--worker", Worker), 4, "NOT_LOCKED", "lock release");
    }

    [Fact]
    public async Task Without_pid_the_lock_is_held_for_the_process_that_ran_agentlocks()
    {
        var acquired = Ok(await LockAsync("acquire", "--worker", Worker), "lock acquire");
        Assert.Equal(Environment.ProcessId, acquired.GetProperty("pid").GetInt32());
        Assert.Equal("locked", Ok(await LockAsync("status", "--worker", Worker), "lock status").GetProperty("state").GetString());

        Assert.Equal(Environment.ProcessId, Ok(await LockAsync("release", "--worker", Worker), "lock release").GetProperty("removed").GetProperty("pid").GetInt32());
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public async Task Force_release_takes_anyones_lock_and_says_whose_it_was()
    {
        var agent = StartSleep();
        Ok(await LockAsync("acquire", "--worker", Worker, "--pid", Pid(agent)), "lock acquire");

        Error(await LockAsync("release", "--worker", Worker, "--force", "--pid", Pid(agent)), 2, "INVALID_ARGS", "lock release");
        var human = await CliRunner.RunAsync(["lock", "release", "--worker", Worker, "--force"]);
        Assert.Equal(0, human.ExitCode);
        Assert.Contains($"was locked, process {agent.Id}, host {HostName()}", human.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(LockPath));

        var again = Ok(await LockAsync("release", "--worker", Worker, "--force"), "lock release");
        Assert.False(again.GetProperty("released").GetBoolean());
        Assert.True(again.GetProperty("forced").GetBoolean());
        Assert.Equal(JsonValueKind.Null, again.GetProperty("removed").ValueKind);
    }

    [Fact]
    public async Task A_stale_lock_is_taken_over_and_a_foreign_host_lock_only_by_force()
    {
        var dead = await DeadPidAsync();
        WriteLock(Worker, dead, "gt-old");
        Assert.Equal("stale", Ok(await LockAsync("status", "--worker", Worker), "lock status").GetProperty("state").GetString());
        var agent = StartSleep();
        var acquired = Ok(await LockAsync("acquire", "--worker", Worker, "--pid", Pid(agent)), "lock acquire");
        Assert.Equal(dead, acquired.GetProperty("took_over").GetProperty("pid").GetInt32());
        Assert.Equal("stale", acquired.GetProperty("took_over").GetProperty("state").GetString());

        WriteLock(Worker, dead, "gt-remote", host: "build-host-7");
        var foreign = Ok(await LockAsync("status", "--worker", Worker), "lock status");
        Assert.Equal("foreign-host", foreign.GetProperty("state").GetString());
        Assert.Equal("build-host-7", foreign.GetProperty("hostname").GetString());
        Error(await LockAsync("acquire", "--worker", Worker, "--pid", Pid(agent)), 3, "LOCKED", "lock acquire");
        Error(await LockAsync("release", "--worker", Worker, "--pid", Pid(dead)), 4, "NOT_LOCKED", "lock release");
        Assert.Equal(0, Ok(await LockAsync("clean", "--under", _dir), "lock clean").GetProperty("cleaned").GetInt32());

        var forced = Ok(await LockAsync("release", "--worker", Worker, "--force"), "lock release");
        Assert.Equal("foreign-host", forced.GetProperty("removed").GetProperty("state").GetString());
        Assert.Equal("build-host-7", forced.GetProperty("removed").GetProperty("hostname").GetString());
    }

    [Fact]
    public async Task List_and_clean_see_every_lock_below_a_directory_and_report_damaged_ones()
    {
        var agent = StartSleep();
        var dead = await DeadPidAsync();
        var live = NewWorker("town", "live");
        var stale = NewWorker("town", "stale");
        var damaged = NewWorker("town", "damaged");
        Ok(await LockAsync("acquire", "--worker", live, "--pid", Pid(agent)), "lock acquire");
        WriteLock(stale, dead, "gt-stale");
        Directory.CreateDirectory(Path.Combine(damaged, ".runtime"));
        File.WriteAllText(Path.Combine(damaged, ".runtime", "agent.lock"), "{ not json");
        WriteLock(NewWorker("town", ".git", "inner"), dead, "gt-hidden");
        var town = Path.Combine(_dir, "town");

        var list = Ok(await LockAsync("list", "--under", town), "lock list");
        Assert.Equal([(live, "locked"), (stale, "stale")], Locks(list.GetProperty("locks")));
        var problem = Assert.Single(list.GetProperty("problems").EnumerateArray());
        Assert.Equal("INVALID_LOCK", problem.GetProperty("code").GetString());
        Assert.Equal(Path.Combine(damaged, ".runtime", "agent.lock"), problem.GetProperty("path").GetString());

        var table = await CliRunner.RunAsync(["lock", "list", "--under", town]);
        Assert.Equal(0, table.ExitCode);
        var rows = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("STATE", rows[0], StringComparison.Ordinal);
        Assert.Matches($@"^locked\s+{agent.Id}\s+-\s+\S+\s+{Regex.Escape(live)}$", rows[1]);
        Assert.Matches($@"^stale\s+{dead}\s+gt-stale\s+\S+\s+{Regex.Escape(stale)}$", rows[2]);
        Assert.StartsWith("problem: INVALID_LOCK", rows[3], StringComparison.Ordinal);

        var clean = Ok(await LockAsync("clean", "--under", town), "lock clean");
        Assert.Equal(1, clean.GetProperty("cleaned").GetInt32());
        Assert.Equal(stale, Assert.Single(clean.GetProperty("removed").EnumerateArray()).GetProperty("worker").GetString());
        Assert.Single(clean.GetProperty("problems").EnumerateArray());
        Assert.False(File.Exists(Path.Combine(stale, ".runtime", "agent.lock")));
        Assert.True(File.Exists(Path.Combine(live, ".runtime", "agent.lock")));
        Assert.Equal("{ not json", File.ReadAllText(Path.Combine(damaged, ".runtime", "agent.lock")));
        Assert.True(File.Exists(Path.Combine(town, ".git", "inner", ".runtime", "agent.lock")), "heavy directories are not walked");
    }

    [Fact]
    public async Task Collisions_ask_the_given_tmux_sockets_and_tell_panes_from_sessions()
    {
        var socket = "agentlocks-test-" + Guid.NewGuid().ToString("N")[..8];
        await TmuxAsync(socket, "new-session", "-d", "-s", "gt-alive", "sleep 300");
        await TmuxAsync(socket, "new-window", "-d", "-t", "gt-alive", "sleep 300");
        try
        {
            // One session ($0) with two panes: the second pane's number is no session's.
            var pane = (await TmuxAsync(socket, "list-panes", "-a", "-F", "#{pane_id}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .MaxBy(p => int.Parse(p[1..], CultureInfo.InvariantCulture))!;
            var notASession = "$" + pane[1..];
            Assert.DoesNotContain(notASession, await TmuxAsync(socket, "list-sessions", "-F", "#{session_id}"), StringComparison.Ordinal);
            var agent = StartSleep();
            var byName = NewWorker("by-name");
            var byPane = NewWorker("by-pane");
            var sessionNotPane = NewWorker("session-not-pane");
            var gone = NewWorker("gone");
            var stale = NewWorker("stale");
            WriteLock(byName, agent.Id, "gt-alive");
            WriteLock(byPane, agent.Id, pane);
            WriteLock(sessionNotPane, agent.Id, notASession);
            WriteLock(gone, agent.Id, "gt-gone");
            WriteLock(stale, await DeadPidAsync(), "gt-alive");

            var report = Ok(await LockAsync("collisions", "--under", _dir, "--tmux-socket", socket), "lock collisions");
            Assert.Equal(
                [(gone, "session-not-found"), (sessionNotPane, "session-not-found"), (stale, "stale")],
                report.GetProperty("collisions").EnumerateArray().Select(c => (c.GetProperty("worker").GetString(), c.GetProperty("kind").GetString())));
            Assert.Equal([socket], report.GetProperty("tmux_sockets").EnumerateArray().Select(s => s.GetString()));

            // Asked on a server where none of them lives, every live holder's session is gone.
            var elsewhere = Ok(await LockAsync("collisions", "--under", _dir, "--tmux-socket", socket + "-none," + socket + "-also-none"), "lock collisions");
            Assert.Equal(5, elsewhere.GetProperty("collisions").GetArrayLength());
            Assert.Equal(2, elsewhere.GetProperty("tmux_sockets").GetArrayLength());

            Error(await LockAsync("collisions", "--under", _dir, "--tmux-socket", "/tmp/sock"), 2, "INVALID_ARGS", "lock collisions");
        }
        finally
        {
            await TmuxAsync(socket, "kill-server");
        }
    }

    [Fact]
    public async Task Exec_holds_the_lock_while_the_command_runs_and_exits_with_its_code()
    {
        // The child prints its own PID (the lock's holder) and the lock file it sees, then fails with 7.
        var result = await CliRunner.RunAsync(["lock", "exec", "--worker", Worker, "--session", "gt-exec", "--", "sh", "-c", "echo \"$$\"; cat \"$1\"; exit 7", "sh", LockPath]);

        Assert.Equal(7, result.ExitCode);
        var lines = result.Stdout.Split('\n', 2);
        using var seen = JsonDocument.Parse(lines[1]);
        Assert.Equal(int.Parse(lines[0], CultureInfo.InvariantCulture), seen.RootElement.GetProperty("pid").GetInt32());
        Assert.Equal("gt-exec", seen.RootElement.GetProperty("session_id").GetString());
        Assert.False(File.Exists(LockPath), "released when the command ended");
    }

    [Fact]
    public async Task Exec_with_json_prints_only_the_envelope_and_sends_the_commands_output_to_stderr()
    {
        var result = await CliRunner.RunAsync(["--json", "lock", "exec", "--worker", Worker, "--", "sh", "-c", "echo child-output; exit 4"]);

        Assert.Equal(4, result.ExitCode);
        var data = result.Envelope.GetProperty("data");
        Assert.Equal("lock exec", result.Envelope.GetProperty("command").GetString());
        Assert.Equal(4, data.GetProperty("exit_code").GetInt32());
        Assert.Equal(["sh", "-c", "echo child-output; exit 4"], data.GetProperty("command").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("child-output", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_passes_the_commands_own_options_through_untouched()
    {
        var result = await CliRunner.RunAsync(["lock", "exec", "--worker", Worker, "--", "echo", "--json", "--force"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("--json --force\n", result.Stdout);
    }

    [Fact]
    public async Task Exec_on_a_held_worker_runs_nothing_and_exits_3()
    {
        var agent = StartSleep();
        Ok(await LockAsync("acquire", "--worker", Worker, "--pid", Pid(agent)), "lock acquire");
        var marker = Path.Combine(_dir, "ran");

        Error(await LockAsync("exec", "--worker", Worker, "--", "touch", marker), 3, "LOCKED", "lock exec");
        var human = await CliRunner.RunAsync(["lock", "exec", "--worker", Worker, "--", "touch", marker]);
        Assert.Equal(3, human.ExitCode);
        Assert.Contains("LOCKED", human.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Exec_without_a_runnable_command_is_invalid_args_and_leaves_no_lock()
    {
        Error(await LockAsync("exec", "--worker", Worker), 2, "INVALID_ARGS", "lock exec");
        Error(await LockAsync("exec", "--worker", Worker, "--", Path.Combine(_dir, "no-such-program")), 2, "INVALID_ARGS", "lock exec");
        Assert.False(File.Exists(LockPath));
    }

    [Theory]
    [InlineData("acquire", "--pid", "abc")]
    [InlineData("acquire", "--pid", "0")]
    [InlineData("acquire", "--pid", "-5")]
    [InlineData("acquire", "--session", "bad\u0001session")]
    [InlineData("exec", "--session", " padded")]
    [InlineData("release", "--pid", "12x")]
    public async Task Bad_options_are_invalid_args_and_change_nothing(string command, string option, string value)
    {
        var result = await LockAsync(command, "--worker", Worker, option, value, "--", "true");
        var error = Error(result, 2, "INVALID_ARGS", "lock " + command);
        Assert.Contains("--" + option.TrimStart('-'), error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Worker, ".runtime")));
    }

    [Fact]
    public async Task A_missing_worker_or_directory_is_invalid_args_and_nothing_is_created()
    {
        var missing = Path.Combine(_dir, "no-such-worker");
        foreach (var command in new[] { "acquire", "status", "release" })
        {
            Assert.Contains(missing, Error(await LockAsync(command, "--worker", missing), 2, "INVALID_ARGS", "lock " + command), StringComparison.Ordinal);
        }

        Error(await LockAsync("exec", "--worker", missing, "--", "true"), 2, "INVALID_ARGS", "lock exec");
        Error(await LockAsync("list", "--under", missing), 2, "INVALID_ARGS", "lock list");
        Error(await LockAsync("acquire"), 2, "INVALID_ARGS", "lock acquire");
        Assert.False(Directory.Exists(missing));

        var human = await CliRunner.RunAsync(["lock", "status", "--worker", missing]);
        Assert.Equal(2, human.ExitCode);
        Assert.Equal(string.Empty, human.Stdout);
        Assert.StartsWith("agentlocks: INVALID_ARGS: ", human.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_lock_file_is_invalid_lock_exit_5_and_left_as_it_is()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(LockPath)!);
        File.WriteAllText(LockPath, """{"pid": 12, "acquired_at": """);

        foreach (var args in DamagingCommands().Where(a => !a.Contains("--force")))
        {
            var message = Error(await LockAsync(args), 5, "INVALID_LOCK", "lock " + args[0]);
            Assert.Contains(LockPath, message, StringComparison.Ordinal);
            Assert.Contains("a force release removes it", message, StringComparison.Ordinal);
        }

        Assert.Equal("""{"pid": 12, "acquired_at": """, File.ReadAllText(LockPath));

        // As the message says.
        var removed = Ok(await LockAsync("release", "--worker", Worker, "--force"), "lock release").GetProperty("removed");
        Assert.Equal("stale", removed.GetProperty("state").GetString());
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public async Task A_symlink_at_the_lock_path_is_invalid_lock_exit_5_and_neither_followed_nor_replaced()
    {
        var target = Path.Combine(_dir, "precious.json");
        var dead = await DeadPidAsync();
        File.WriteAllText(target, $$"""{"pid": {{dead}}, "acquired_at": "2026-11-23T18:00:00Z", "hostname": "{{HostName()}}"}""");
        Directory.CreateDirectory(Path.GetDirectoryName(LockPath)!);
        File.CreateSymbolicLink(LockPath, target);
        var before = File.ReadAllText(target);

        foreach (var args in DamagingCommands())
        {
            Assert.Contains("symbolic link", Error(await LockAsync(args), 5, "INVALID_LOCK", "lock " + args[0]), StringComparison.Ordinal);
        }

        Assert.Equal(target, new FileInfo(LockPath).LinkTarget);
        Assert.Equal(before, File.ReadAllText(target));
        Assert.Equal("INVALID_LOCK", Assert.Single(Ok(await LockAsync("clean", "--under", _dir), "lock clean").GetProperty("problems").EnumerateArray()).GetProperty("code").GetString());
        Assert.True(File.Exists(target));
    }

    [Fact]
    public async Task A_holder_owned_by_another_user_is_locked_not_stale()
    {
        // kill(pid, 0) from another user fails with EPERM: the holder lives. As root, run the tool as nobody;
        // otherwise this user already is "another user" for PID 1.
        var (launcher, holder) = IsRoot() ? (AsNobody, StartSleep().Id) : (null, 1);
        WriteLock(Worker, holder, "gt-other-user");

        var result = await CliRunner.RunAsync(["--json", "lock", "status", "--worker", Worker], launcher: launcher);

        var status = Ok(result, "lock status");
        Assert.Equal("locked", status.GetProperty("state").GetString());
        Assert.Equal(holder, status.GetProperty("pid").GetInt32());

        // The same run judges a dead holder stale: it really probed.
        WriteLock(Worker, await DeadPidAsync(), "gt-other-user");
        Assert.Equal("stale", Ok(await CliRunner.RunAsync(["--json", "lock", "status", "--worker", Worker], launcher: launcher), "lock status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_unreadable_directory_is_reported_by_list_not_skipped_in_silence()
    {
        var secret = NewWorker("secret");
        WriteLock(NewWorker("secret", "inside"), await DeadPidAsync(), "gt-hidden");
        File.SetUnixFileMode(secret, UnixFileMode.None);
        try
        {
            var result = await CliRunner.RunAsync(["--json", "lock", "list", "--under", _dir], launcher: IsRoot() ? AsNobody : null);

            var problem = Assert.Single(Ok(result, "lock list").GetProperty("problems").EnumerateArray());
            Assert.Equal(secret, problem.GetProperty("path").GetString());
            Assert.Equal("INTERNAL_ERROR", problem.GetProperty("code").GetString());
        }
        finally
        {
            File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Runs the tool as the user nobody (needs root); HOME points somewhere nobody may write.</summary>
    private static readonly string[] AsNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp"];

    private IEnumerable<string[]> DamagingCommands() =>
    [
        ["status", "--worker", Worker],
        ["acquire", "--worker", Worker],
        ["release", "--worker", Worker],
        ["release", "--worker", Worker, "--force"],
        ["exec", "--worker", Worker, "--", "true"],
    ];

    private static Task<CliResult> LockAsync(params string[] args) => CliRunner.RunAsync(["--json", "lock", .. args]);

    /// <summary>Asserts a successful envelope of <paramref name="command"/> and returns its data.</summary>
    private static JsonElement Ok(CliResult result, string command)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        var envelope = result.Envelope;
        Assert.True(envelope.GetProperty("ok").GetBoolean());
        Assert.Equal(command, envelope.GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.Null, envelope.GetProperty("error").ValueKind);
        return envelope.GetProperty("data");
    }

    /// <summary>Asserts a failed envelope with its exit code and error code; returns the message.</summary>
    private static string Error(CliResult result, int exitCode, string code, string command)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}, expected {exitCode}: {result.Stdout}{result.Stderr}");
        var envelope = result.Envelope;
        Assert.False(envelope.GetProperty("ok").GetBoolean());
        Assert.Equal(command, envelope.GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.Null, envelope.GetProperty("data").ValueKind);
        Assert.Equal(code, envelope.GetProperty("error").GetProperty("code").GetString());
        return envelope.GetProperty("error").GetProperty("message").GetString()!;
    }

    private static IEnumerable<(string?, string?)> Locks(JsonElement locks)
        => locks.EnumerateArray().Select(l => (l.GetProperty("worker").GetString(), l.GetProperty("state").GetString()));

    private string NewWorker(params string[] relative) => Directory.CreateDirectory(Path.Combine([_dir, .. relative])).FullName;

    private static void WriteLock(string worker, int pid, string session, string? host = null)
    {
        Directory.CreateDirectory(Path.Combine(worker, ".runtime"));
        File.WriteAllText(
            Path.Combine(worker, ".runtime", "agent.lock"),
            $$"""{"pid": {{pid}}, "acquired_at": "2026-11-23T18:53:14.363980704Z", "session_id": "{{session}}", "hostname": "{{host ?? HostName()}}"}""");
    }

    private Process StartSleep()
    {
        var child = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        _children.Add(child);
        return child;
    }

    private async Task<int> DeadPidAsync()
    {
        var child = StartSleep();
        child.Kill();
        await child.WaitForExitAsync();
        return child.Id;
    }

    private static string Pid(Process process) => Pid(process.Id);

    private static string Pid(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    private static string HostName() => File.ReadAllText("/proc/sys/kernel/hostname").Trim();

    private static bool IsRoot() => File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1] == "0";

    private static async Task<string> TmuxAsync(string socket, params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-L", socket, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var tmux = Process.Start(start)!;
        var output = await tmux.StandardOutput.ReadToEndAsync();
        await tmux.WaitForExitAsync();
        return output;
    }
}
