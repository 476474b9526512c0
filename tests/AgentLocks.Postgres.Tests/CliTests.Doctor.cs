using System.Diagnostics;
using System.Text.Json;
using AgentLocks.Cli.Tests;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary><c>agentlocks doctor --postgres</c>: each problem reported without --fix and left alone, repaired with it.</summary>
public sealed partial class CliTests
{
    [Fact]
    public async Task Doctor_reports_a_stale_lock_row_and_an_orphaned_session_and_fix_removes_only_the_stale_row()
    {
        var holder = StartHolder();
        Ok(await RunAsync("lock", "acquire", "--worker", "rig1.live", "--session", "gt-rig1-live", "--pid", Pid(holder)));
        var dying = Ok(await RunAsync("lock", "acquire", "--worker", "rig1.dead", "--pid", Pid(holder)));
        var keeper = Process.GetProcessById(dying.GetProperty("keeper_pid").GetInt32());
        keeper.Kill();
        await keeper.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await SessionGoneAsync(dying.GetProperty("backend_pid").GetInt32());

        // rig1.live's tmux session lives on no server of this private socket.
        string[] doctor = ["doctor", "--tmux-socket", "agentlocks-pg-test-" + _schema];
        var found = Ok(await RunAsync(doctor));
        Assert.False(found.GetProperty("healthy").GetBoolean());
        Assert.Equal(_schema, found.GetProperty("schema").GetString());
        var stale = Finding(found, "stale-lock");
        Assert.Equal($"{_schema}.worker_locks/rig1.dead", stale.GetProperty("path").GetString());
        Assert.Contains($"process {holder.Id}", stale.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, stale.GetProperty("action").ValueKind);
        Assert.Equal($"{_schema}.worker_locks/rig1.live", Finding(found, "session-gone").GetProperty("path").GetString());
        Assert.Equal(2, found.GetProperty("findings").GetArrayLength());
        Assert.Equal("stale", Ok(await RunAsync("lock", "status", "--worker", "rig1.dead")).GetProperty("state").GetString());

        var human = await CliRunner.RunAsync(["--root", _root, "--postgres", Postgres, .. doctor]);
        Assert.Matches(@"problem\s+path\s+detail\s+repair", human.Stdout);
        Assert.Matches($@"stale-lock\s+{_schema}\.worker_locks/rig1\.dead\s+.*\s+run doctor --fix", human.Stdout);

        var fixedUp = Ok(await RunAsync([.. doctor, "--fix"]));
        Assert.Equal("removed", Finding(fixedUp, "stale-lock").GetProperty("action").GetString());
        Assert.Equal("left: its process is alive", Finding(fixedUp, "session-gone").GetProperty("action").GetString());
        Assert.Equal(["rig1.live"], Ok(await RunAsync("lock", "list")).GetProperty("locks").EnumerateArray().Select(l => l.GetProperty("worker").GetString()));
        Assert.Equal("locked", Ok(await RunAsync("lock", "status", "--worker", "rig1.live")).GetProperty("state").GetString());

        // --under narrows the lock checks to an id prefix: rig1.live's orphaned session is not under rig2.
        Assert.True(Ok(await RunAsync([.. doctor, "--under", "rig2."])).GetProperty("healthy").GetBoolean());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task Doctor_reports_an_expired_reservation_and_fix_sweeps_it_into_the_history()
    {
        Ok(await RunAsync("agent", "register", "--agent", "agent-live"));
        var live = Ok(await RunAsync("reserve", "--agent", "agent-live", "--scope", "docs/**", "--bead", "bd-2")).GetProperty("reservation_id").GetString()!;

        // An agent whose 5-minute lease was granted three hours ago by the server's clock, and who never came back.
        await using var store = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(_schema, new FakeTimeProvider()));
        store.Persistence.Clock.Offset = TimeSpan.FromHours(-3);
        var agent = AgentId.Parse("agent-gone");
        await store.RegisterAgentAsync(agent);
        await using var held = await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("src/auth/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5)));
        var expired = held.Reservation.Id.Value;

        var found = Finding(Ok(await RunAsync("doctor")), "expired-reservation");
        Assert.Equal($"{_schema}.reservations/{expired}", found.GetProperty("path").GetString());
        Assert.StartsWith("src/auth/** by agent-gone for bd-1 expired at ", found.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, found.GetProperty("action").ValueKind);
        Assert.Equal("active", await ScalarAsync("SELECT state FROM {0}.reservations WHERE reservation_id = $1", expired));

        var swept = Ok(await RunAsync("doctor", "--fix"));
        Assert.Equal("swept into the history as expired", Finding(swept, "expired-reservation").GetProperty("action").GetString());
        Assert.Single(swept.GetProperty("findings").EnumerateArray());
        Assert.Equal("expired", await ScalarAsync("SELECT state FROM {0}.reservations WHERE reservation_id = $1", expired));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM {0}.history WHERE reservation_id = $1 AND event = 'Expired'", expired));
        Assert.Equal("active", await ScalarAsync("SELECT state FROM {0}.reservations WHERE reservation_id = $1", live));
        Assert.True(Ok(await RunAsync("doctor")).GetProperty("healthy").GetBoolean());
    }

    [Fact]
    public async Task Doctor_finds_nothing_in_a_healthy_swarm_and_its_fix_changes_nothing()
    {
        var holder = StartHolder();
        Ok(await RunAsync("agent", "register", "--agent", "agent-a"));
        Ok(await RunAsync("reserve", "--agent", "agent-a", "--scope", "src/**", "--bead", "bd-1"));
        Ok(await RunAsync("lock", "acquire", "--worker", "polecat-1", "--pid", Pid(holder)));

        foreach (var fix in new[] { false, true })
        {
            string[] doctor = fix ? ["doctor", "--fix"] : ["doctor"];
            var data = Ok(await RunAsync(doctor));
            Assert.True(data.GetProperty("healthy").GetBoolean(), data.ToString());
            Assert.Empty(data.GetProperty("findings").EnumerateArray());
            Assert.Empty(data.GetProperty("not_checked").EnumerateArray());
        }

        Assert.Equal("locked", Ok(await RunAsync("lock", "status", "--worker", "polecat-1")).GetProperty("state").GetString());
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM {0}.reservations WHERE state = 'active'"));
        var human = await CliRunner.RunAsync(["--root", _root, "--postgres", Postgres, "doctor"]);
        var server = new NpgsqlConnectionStringBuilder(PostgresTestServer.ConnectionString);
        Assert.StartsWith($"PostgreSQL {server.Host}:{server.Port}/{server.Database}, schema {_schema}; identity locks of every worker{Environment.NewLine}", human.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("healthy: nothing to repair", human.Stdout.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_creates_no_schema_upgrades_an_outdated_one_only_with_fix_and_reports_a_newer_one()
    {
        var missing = Ok(await RunAsync("doctor"));
        Assert.True(missing.GetProperty("healthy").GetBoolean());
        Assert.Contains("does not exist yet", Assert.Single(missing.GetProperty("not_checked").EnumerateArray()).GetString(), StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM pg_namespace WHERE nspname = $1", _schema));

        // A schema an older agentlocks made: version 1, no worker_locks.
        await using (var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString))
        {
            await connection.OpenAsync();
            await new PostgresSchema(_schema).MigrateAsync(connection, PostgresSchema.Migrations.Take(1).ToList(), CancellationToken.None);
        }

        var outdated = Ok(await RunAsync("doctor"));
        Assert.Equal($"{_schema}.schema_version", Finding(outdated, "schema-outdated").GetProperty("path").GetString());
        Assert.Contains("reading upgrades it", Assert.Single(outdated.GetProperty("not_checked").EnumerateArray()).GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await ScalarAsync("SELECT max(version) FROM {0}.schema_version"));

        var known = PostgresSchema.Migrations[^1].Version;
        var upgraded = Ok(await RunAsync("doctor", "--fix"));
        Assert.Equal($"upgraded to version {known}", Finding(upgraded, "schema-outdated").GetProperty("action").GetString());
        Assert.Empty(upgraded.GetProperty("not_checked").EnumerateArray());
        Assert.Equal(known, await ScalarAsync("SELECT max(version) FROM {0}.schema_version"));
        Assert.True(Ok(await RunAsync("doctor")).GetProperty("healthy").GetBoolean());

        // A newer agentlocks migrated it further: reported, and everything this one knows is still checked.
        await ScalarAsync("INSERT INTO {0}.schema_version (version, description) VALUES ($1, 'from a newer agentlocks')", known + 1);
        var newer = Ok(await RunAsync("doctor", "--fix"));
        Assert.Contains($"at version {known + 1}", Finding(newer, "schema-newer").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single(newer.GetProperty("findings").EnumerateArray());
        Assert.Empty(newer.GetProperty("not_checked").EnumerateArray());
    }

    /// <summary>The one finding of <paramref name="kind"/> in a doctor's <c>data</c>.</summary>
    private static JsonElement Finding(JsonElement data, string kind)
        => Assert.Single(data.GetProperty("findings").EnumerateArray(), f => f.GetProperty("kind").GetString() == kind);
}
