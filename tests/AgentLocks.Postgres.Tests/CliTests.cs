using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AgentLocks.Cli.Tests;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// The built <c>agentlocks</c> with <c>--postgres</c> against the real server, as a script runs it. Each test has its
/// own schema, named by the connection string's <c>Search Path</c>, and an empty <c>--root</c> that must stay empty:
/// nothing may fall back to the file store.
/// </summary>
public sealed partial class CliTests : IAsyncLifetime
{
    private readonly string _schema = PostgresTestServer.NewSchemaName();
    private readonly string _root = Directory.CreateTempSubdirectory("agentlocks-pg-cli-").FullName;
    private readonly List<Process> _holders = [];

    private string Postgres => $"{PostgresTestServer.ConnectionString};Search Path={_schema}";

    [Fact]
    public async Task Reserve_conflict_release_and_status_run_on_the_server()
    {
        Ok(await RunAsync("agent", "register", "--agent", "agent-a"));
        Ok(await RunAsync("agent", "register", "--agent", "agent-b"));

        var reserved = Ok(await RunAsync("reserve", "--agent", "agent-a", "--scope", "src/auth/**", "--bead", "bd-1", "--ttl", "30"));
        Assert.Equal("active", reserved.GetProperty("state").GetString());
        var token = reserved.GetProperty("fencing_token").GetInt64();
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM {0}.reservations WHERE state = 'active' AND reservation_id = $1", reserved.GetProperty("reservation_id").GetString()!));

        var conflict = await RunAsync("reserve", "--agent", "agent-b", "--scope", "src/auth/login.cs", "--bead", "bd-2");
        Fails(conflict, 3, "RESERVATION_CONFLICT");
        Assert.Contains("agent-a", conflict.Envelope.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Fails(await RunAsync("release", "--agent", "agent-b", "--scope", "src/auth/**"), 4, "RELEASE_FORBIDDEN");

        var status = Ok(await RunAsync("status", "--agent", "agent-a"));
        var only = Assert.Single(status.GetProperty("reservations").EnumerateArray());
        Assert.Equal(token, only.GetProperty("fencing_token").GetInt64());

        Assert.Equal("released", Ok(await RunAsync("release", "--agent", "agent-a", "--scope", "src/auth/**")).GetProperty("state").GetString());
        Assert.Empty(Ok(await RunAsync("status")).GetProperty("reservations").EnumerateArray());
        var next = Ok(await RunAsync("reserve", "--agent", "agent-b", "--scope", "src/auth/login.cs", "--bead", "bd-2"));
        Assert.True(next.GetProperty("fencing_token").GetInt64() > token);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task The_connection_string_may_come_from_AGENTLOCKS_POSTGRES()
    {
        var environment = new Dictionary<string, string?> { ["AGENTLOCKS_POSTGRES"] = Postgres };
        Ok(await CliRunner.RunAsync(["--json", "--root", _root, "agent", "register", "--agent", "agent-a"], environment));
        Ok(await CliRunner.RunAsync(["--json", "--root", _root, "reserve", "--agent", "agent-a", "--scope", "docs/**", "--bead", "bd-1"], environment));

        // The same reservation, seen through --postgres, and through neither (the empty file store).
        Assert.Equal("docs/**", Assert.Single(Ok(await RunAsync("status")).GetProperty("reservations").EnumerateArray()).GetProperty("scope").GetString());
        Assert.Empty(Ok(await CliRunner.RunAsync(["--json", "--root", _root, "status"])).GetProperty("reservations").EnumerateArray());
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM {0}.reservations WHERE state = 'active'"));
    }

    [Fact]
    public async Task Lock_acquire_status_and_release_hold_the_worker_for_the_holder_process()
    {
        var holder = StartHolder();
        var other = StartHolder();
        var acquired = Ok(await RunAsync("lock", "acquire", "--worker", "polecat-1", "--session", "gt-polecat-1", "--pid", Pid(holder)));
        Assert.Equal("locked", acquired.GetProperty("state").GetString());
        Assert.Equal(holder.Id, acquired.GetProperty("pid").GetInt32());

        Fails(await RunAsync("lock", "acquire", "--worker", "polecat-1", "--pid", Pid(other)), 3, "LOCKED");
        var status = Ok(await RunAsync("lock", "status", "--worker", "polecat-1"));
        Assert.Equal("locked", status.GetProperty("state").GetString());
        Assert.Equal(holder.Id, status.GetProperty("pid").GetInt32());
        Assert.Equal("gt-polecat-1", status.GetProperty("session_id").GetString());
        Assert.Equal(Environment.MachineName, status.GetProperty("hostname").GetString());
        Assert.Equal(acquired.GetProperty("backend_pid").GetInt32(), status.GetProperty("backend_pid").GetInt32());

        Fails(await RunAsync("lock", "release", "--worker", "polecat-1", "--pid", Pid(other)), 4, "NOT_LOCKED");
        var released = Ok(await RunAsync("lock", "release", "--worker", "polecat-1", "--pid", Pid(holder)));
        Assert.True(released.GetProperty("released").GetBoolean());
        await KeeperExitAsync(acquired);
        Assert.Equal("unlocked", Ok(await RunAsync("lock", "status", "--worker", "polecat-1")).GetProperty("state").GetString());
        Fails(await RunAsync("lock", "release", "--worker", "polecat-1", "--pid", Pid(holder)), 4, "NOT_LOCKED");

        // The keeper lets go when the holder process ends.
        var again = Ok(await RunAsync("lock", "acquire", "--worker", "polecat-1", "--pid", Pid(other)));
        other.Kill();
        await KeeperExitAsync(again);
        Assert.Equal("unlocked", Ok(await RunAsync("lock", "status", "--worker", "polecat-1")).GetProperty("state").GetString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task Lock_exec_holds_the_worker_while_the_command_runs()
    {
        // The command asks the tool itself who holds the worker while it runs: the exec'ing process.
        var inside = await CliRunner.RunAsync(
            ["--root", _root, "lock", "exec", "--worker", "polecat-2", "--", "dotnet", Path.Combine(AppContext.BaseDirectory, "AgentLocks.Cli.dll"), "lock", "status", "--worker", "polecat-2"],
            new Dictionary<string, string?> { ["AGENTLOCKS_POSTGRES"] = Postgres });
        Assert.True(inside.ExitCode == 0, inside.Stderr);
        Assert.StartsWith("locked: held by process ", inside.Stdout, StringComparison.Ordinal);

        Assert.Equal("unlocked", Ok(await RunAsync("lock", "status", "--worker", "polecat-2")).GetProperty("state").GetString());
        var exit = await RunAsync("lock", "exec", "--worker", "polecat-2", "--", "sh", "-c", "exit 7");
        Assert.Equal(7, exit.ExitCode);

        var holder = StartHolder();
        Ok(await RunAsync("lock", "acquire", "--worker", "polecat-2", "--pid", Pid(holder)));
        var marker = Path.Combine(_root, "ran");
        Fails(await RunAsync("lock", "exec", "--worker", "polecat-2", "--", "touch", marker), 3, "LOCKED");
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task List_collisions_and_clean_work_on_the_workers_under_an_id_prefix()
    {
        var holder = StartHolder();
        var live = Ok(await RunAsync("lock", "acquire", "--worker", "rig1.a", "--session", "gt-rig1-a", "--pid", Pid(holder)));
        var dying = Ok(await RunAsync("lock", "acquire", "--worker", "rig1.b", "--pid", Pid(holder)));
        Ok(await RunAsync("lock", "acquire", "--worker", "rig2.a", "--pid", Pid(holder)));

        // kill -9 the keeper of rig1.b: the server ends its session, which frees the lock and leaves a stale row.
        var keeper = Process.GetProcessById(dying.GetProperty("keeper_pid").GetInt32());
        keeper.Kill();
        await keeper.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await SessionGoneAsync(dying.GetProperty("backend_pid").GetInt32());

        var listed = Ok(await RunAsync("lock", "list", "--under", "rig1."));
        Assert.Equal([("rig1.a", "locked"), ("rig1.b", "stale")], listed.GetProperty("locks").EnumerateArray().Select(l => (l.GetProperty("worker").GetString(), l.GetProperty("state").GetString())));
        Assert.Equal(3, Ok(await RunAsync("lock", "list")).GetProperty("locks").GetArrayLength());

        // rig1.a's tmux session lives on no server of this private socket.
        var collisions = Ok(await RunAsync("lock", "collisions", "--under", "rig1.", "--tmux-socket", "agentlocks-pg-test-" + _schema));
        Assert.Equal([("rig1.a", "session-not-found"), ("rig1.b", "stale")], collisions.GetProperty("collisions").EnumerateArray().Select(c => (c.GetProperty("worker").GetString(), c.GetProperty("kind").GetString())));

        var cleaned = Ok(await RunAsync("lock", "clean", "--under", "rig1."));
        Assert.Equal(1, cleaned.GetProperty("cleaned").GetInt32());
        Assert.Equal("rig1.b", Assert.Single(cleaned.GetProperty("removed").EnumerateArray()).GetProperty("worker").GetString());
        Assert.Equal(["rig1.a", "rig2.a"], Ok(await RunAsync("lock", "list")).GetProperty("locks").EnumerateArray().Select(l => l.GetProperty("worker").GetString()));
        Assert.Equal("locked", Ok(await RunAsync("lock", "status", "--worker", live.GetProperty("worker").GetString()!)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Bad_connection_strings_unreachable_servers_and_worker_directories_are_clear_errors()
    {
        Fails(await CliRunner.RunAsync(["--json", "--root", _root, "--postgres", "this is not a connection string", "status"]), 2, "INVALID_ARGS");

        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        string[][] commands = [["status"], ["lock", "status", "--worker", "w1"], ["lock", "acquire", "--worker", "w1", "--pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]];
        foreach (var command in commands)
        {
            var unreachable = await CliRunner.RunAsync(["--json", "--root", _root, "--postgres", $"Host=127.0.0.1;Port={closed};Username=postgres;Timeout=5", .. command]);
            var message = Fails(unreachable, 1, "INTERNAL_ERROR");
            Assert.Contains($"Could not connect to PostgreSQL at 127.0.0.1:{closed}", message, StringComparison.Ordinal);
        }

        var directory = await RunAsync("lock", "status", "--worker", "/town/rig/polecats/nux");
        Assert.Contains("--worker nux", Fails(directory, 2, "INVALID_ARGS"), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var holder in _holders)
        {
            holder.Kill();
            await holder.WaitForExitAsync();
            holder.Dispose();
        }

        // Keepers let go once their holder is gone; ending their sessions now lets the schema be dropped at once.
        if (await PostgresTestServer.ScalarAsync("SELECT to_regclass($1)::text", $"\"{_schema}\".worker_locks") is string)
        {
            await PostgresTestServer.ScalarAsync($"SELECT count(pg_terminate_backend(backend_pid, 5000)) FROM \"{_schema}\".worker_locks");
        }

        await PostgresTestServer.DropSchemaAsync(_schema);
        Directory.Delete(_root, recursive: true);
    }

    private static string Pid(Process process) => process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static JsonElement Ok(CliResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.True(result.Envelope.GetProperty("ok").GetBoolean());
        return result.Envelope.GetProperty("data");
    }

    /// <summary>Asserts the exit code and error code; returns the message.</summary>
    private static string Fails(CliResult result, int exitCode, string code)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}, expected {exitCode}: {result.Stdout} {result.Stderr}");
        Assert.False(result.Envelope.GetProperty("ok").GetBoolean());
        Assert.Equal(code, result.Envelope.GetProperty("error").GetProperty("code").GetString());
        return result.Envelope.GetProperty("error").GetProperty("message").GetString()!;
    }

    /// <summary>Waits for the keeper that <c>lock acquire</c> started to exit (it is not our child; .NET polls for it).</summary>
    private static async Task KeeperExitAsync(JsonElement acquired)
    {
        using var keeper = TryGetProcess(acquired.GetProperty("keeper_pid").GetInt32());
        if (keeper is not null)
        {
            await keeper.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private static Process? TryGetProcess(int pid)
    {
        try
        {
            return Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Waits until the server has ended a killed client's session; the server's own view is the only witness.</summary>
    private static async Task SessionGoneAsync(int backendPid)
    {
        var deadline = Stopwatch.StartNew();
        while ((long)(await PostgresTestServer.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", backendPid))! > 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"backend {backendPid} still runs");
            await Task.Yield();
        }
    }

    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(["--json", "--root", _root, "--postgres", Postgres, .. args]);

    private Task<object?> ScalarAsync(string sql, params object[] parameters)
        => PostgresTestServer.ScalarAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, $"\"{_schema}\""), parameters);

    /// <summary>A long-lived process to hold locks for, as a shell or agent would; killed at the end.</summary>
    private Process StartHolder()
    {
        var holder = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        _holders.Add(holder);
        return holder;
    }
}
