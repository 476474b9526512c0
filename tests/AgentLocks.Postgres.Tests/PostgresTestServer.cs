using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>The real server the tests run against, and a fresh schema per test so tests never share state.</summary>
internal static class PostgresTestServer
{
    private static readonly Lazy<string> Connection = new(Resolve);
    private static readonly Lazy<NpgsqlDataSource> Shared = new(() => NpgsqlDataSource.Create(ConnectionString));

    /// <summary>From <c>AGENTLOCKS_TEST_POSTGRES</c>; a test that needs it fails (never skips) when it is missing.</summary>
    public static string ConnectionString => Connection.Value;

    /// <summary>One pool for the tests that do not test connection handling, so each test does not pay for a new one.</summary>
    public static NpgsqlDataSource DataSource => Shared.Value;

    /// <summary>How many sessions hold or await the advisory lock <paramref name="key"/> (only await, with <paramref name="waiting"/>).</summary>
    public static async Task<long> AdvisoryLocksAsync(long key, bool waiting = false)
    {
        await using var command = DataSource.CreateCommand(
            $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND classid::bigint = $1 AND objid::bigint = $2{(waiting ? " AND NOT granted" : "")}");
        command.Parameters.Add(new() { Value = (key >> 32) & uint.MaxValue });
        command.Parameters.Add(new() { Value = key & uint.MaxValue });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static string NewSchemaName() => "t_" + Guid.NewGuid().ToString("N")[..16];

    public static PostgresStoreOptions Options(string schema, TimeProvider? time = null, TimeSpan? heartbeat = null) => new()
    {
        Schema = schema,
        TimeProvider = time ?? TimeProvider.System,
        HeartbeatInterval = heartbeat ?? TimeSpan.FromSeconds(5),
    };

    /// <summary>Runs one statement as the test's superuser (to inspect or to sabotage, as an operator would).</summary>
    public static async Task<object?> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteScalarAsync();
    }

    /// <summary>
    /// Crashes and restarts the server (<c>pg_ctl restart -m immediate</c>: no checkpoint, recovery from the WAL), with
    /// the binaries and data directory that <c>.ci/postgres.sh</c> exports; fails when they are not given.
    /// </summary>
    public static async Task RestartAsync()
    {
        var pgCtl = Environment.GetEnvironmentVariable("AGENTLOCKS_TEST_PG_CTL");
        var data = Environment.GetEnvironmentVariable("AGENTLOCKS_TEST_PG_DATA");
        if (string.IsNullOrEmpty(pgCtl) || string.IsNullOrEmpty(data))
        {
            throw new InvalidOperationException("AGENTLOCKS_TEST_PG_CTL and AGENTLOCKS_TEST_PG_DATA are not set: the restart test needs the server that .ci/postgres.sh starts.");
        }

        // The server refuses to run as root, so root runs pg_ctl as the data directory's owner, as postgres.sh does.
        var command = $"'{pgCtl}' -D '{data}' -l '{Path.Combine(Path.GetDirectoryName(data)!, "server.log")}' -w -m immediate restart";
        var start = Environment.UserName == "root"
            ? new System.Diagnostics.ProcessStartInfo("su", ["postgres", "-s", "/bin/bash", "-c", command])
            : new System.Diagnostics.ProcessStartInfo("bash", ["-c", command]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var pgCtlRun = System.Diagnostics.Process.Start(start)!;
        var output = pgCtlRun.StandardOutput.ReadToEndAsync();
        var error = pgCtlRun.StandardError.ReadToEndAsync();
        await pgCtlRun.WaitForExitAsync();
        Assert.True(pgCtlRun.ExitCode == 0, $"pg_ctl restart failed: {await output} {await error}");

        // Every pooled connection died with the old server.
        NpgsqlConnection.ClearAllPools();
        DataSource.Clear();
    }

    public static Task DropSchemaAsync(string schema) => ScalarAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");

    private static string Resolve()
    {
        var value = Environment.GetEnvironmentVariable("AGENTLOCKS_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }

        var required = Environment.GetEnvironmentVariable("AGENTLOCKS_REQUIRE_POSTGRES") == "1"
            || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        throw new InvalidOperationException(required
            ? "AGENTLOCKS_TEST_POSTGRES is not set, and PostgreSQL is required here (AGENTLOCKS_REQUIRE_POSTGRES=1 or CI=true): .ci/run starts the server; check that .ci/postgres.sh succeeded."
            : "AGENTLOCKS_TEST_POSTGRES is not set. Start a throwaway server with `source .ci/postgres.sh` (it exports the variable; `stop_postgres` stops it), then run these tests again.");
    }
}

/// <summary>A fresh schema for one test, dropped at the end.</summary>
internal sealed class TestSchema : IAsyncDisposable
{
    public string Name { get; } = PostgresTestServer.NewSchemaName();

    public ValueTask DisposeAsync() => new(PostgresTestServer.DropSchemaAsync(Name));
}
