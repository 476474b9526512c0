using Npgsql;

namespace AgentLocks.Postgres.Tests;

public sealed class SchemaMigrationTests
{
    [Fact]
    public async Task Two_versions_migrating_at_once_apply_each_step_exactly_once()
    {
        // Many rounds: a migrator whose transaction began before the one it waited for committed could collide on
        // CREATE SCHEMA, and one round seldom shows that.
        for (var round = 0; round < 60; round++)
        {
            await using var schema = new TestSchema();
            var shape = new PostgresSchema(schema.Name);
            var older = PostgresSchema.Migrations.Take(1).ToList();
            var newer = PostgresSchema.Migrations;
            using var start = new SemaphoreSlim(0);

            var runs = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                await using var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString);
                await connection.OpenAsync();
                await start.WaitAsync();
                return await shape.MigrateAsync(connection, i % 2 == 0 ? older : newer, CancellationToken.None);
            })).ToList();
            start.Release(runs.Count);
            var reached = await Task.WhenAll(runs);

            Assert.All(reached, version => Assert.True(version >= 1));
            Assert.Equal((long)newer.Count, await PostgresTestServer.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".schema_version"));
            Assert.Equal((long)newer.Sum(m => m.Version), await PostgresTestServer.ScalarAsync($"SELECT sum(version) FROM \"{schema.Name}\".schema_version"));
            Assert.NotNull(await PostgresTestServer.ScalarAsync("SELECT to_regclass($1)::text", $"\"{schema.Name}\".worker_locks"));
        }
    }

    [Fact]
    public async Task Older_code_runs_against_a_newer_schema_and_first_use_creates_it()
    {
        await using var schema = new TestSchema();
        var shape = new PostgresSchema(schema.Name);
        await using var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString);
        await connection.OpenAsync();
        Assert.Equal(0, await shape.CurrentVersionAsync(connection, CancellationToken.None));

        Assert.Equal(PostgresSchema.Migrations[^1].Version, await shape.MigrateAsync(connection, PostgresSchema.Migrations, CancellationToken.None));
        Assert.Equal(1, await shape.MigrateAsync(connection, PostgresSchema.Migrations.Take(1).ToList(), CancellationToken.None));
        Assert.Equal(PostgresSchema.Migrations[^1].Version, await shape.CurrentVersionAsync(connection, CancellationToken.None));
    }

    [Fact]
    public async Task The_connection_strings_search_path_names_the_schema_when_the_options_do_not()
    {
        await using var schema = new TestSchema();
        await using (var store = new PostgresReservationStore($"{PostgresTestServer.ConnectionString};Search Path={schema.Name}, public"))
        {
            await store.RegisterAgentAsync(AgentId.Parse("agent-a"));
        }

        Assert.Equal(1L, await PostgresTestServer.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".agents"));

        // Options win over the search path.
        await using var other = new TestSchema();
        await using var locks = new PostgresWorkerIdentityLocks($"{PostgresTestServer.ConnectionString};Search Path={schema.Name}", PostgresTestServer.Options(other.Name));
        await using var held = await locks.ForWorker(WorkerId.Parse("w1")).AcquireAsync();
        Assert.Equal(1L, await PostgresTestServer.ScalarAsync($"SELECT count(*) FROM \"{other.Name}\".worker_locks"));
        Assert.Equal(0L, await PostgresTestServer.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".worker_locks"));
    }

    [Fact]
    public void A_search_path_that_is_no_schema_name_is_invalid_args()
    {
        var e = Assert.Throws<AgentLocksException>(() => new PostgresReservationStore("Host=127.0.0.1;Search Path=Bad-Name"));
        Assert.Equal(ErrorCode.InvalidArgs, e.Code);
        Assert.Contains("Search Path", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Public")]
    [InlineData("x;drop")]
    [InlineData("9lives")]
    public void A_bad_schema_name_is_invalid_args(string name)
    {
        var e = Assert.Throws<AgentLocksException>(() => new PostgresStoreOptions { Schema = name });
        Assert.Equal(ErrorCode.InvalidArgs, e.Code);
    }
}
