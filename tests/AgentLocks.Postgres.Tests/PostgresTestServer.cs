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
