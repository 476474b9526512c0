using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace AgentLocks.Postgres.Tests;

public sealed class ReadCostTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A decision reads the active rows its scopes can overlap. The leases of that prefix that ended since the last
    /// vacuum must not each cost it a visit: read by a bitmap scan (the conditions OR-ed), an ended row's index entry is
    /// never marked dead, so every decision about a busy scope visited every one. Autovacuum is off on the table, as it
    /// is between two of its runs on a busy one, and the table has no statistics yet, as before its first.
    /// </summary>
    [Fact]
    public Task A_decision_does_not_revisit_the_leases_of_its_prefix_that_ended_since_the_last_vacuum()
        => AssertTheReadDoesNotGrowAsync(heldInRange: 0);

    /// <summary>
    /// The same when the statistics expect many rows in the scope's range: the last <c>ANALYZE</c> found 300 shared
    /// leases under it, the planner's case for a bitmap scan even of the range alone.
    /// </summary>
    [Fact]
    public Task A_decision_does_not_revisit_ended_leases_when_the_statistics_expect_many_rows_in_its_range()
        => AssertTheReadDoesNotGrowAsync(heldInRange: 300);

    /// <summary>
    /// With <paramref name="heldInRange"/> shared leases held under <c>src/busy/</c> (and the table analyzed, when
    /// there are any), the pages a decision about <c>src/busy/**</c> reads after 1,100 of its leases ended are no more
    /// than after 100.
    /// </summary>
    private static async Task AssertTheReadDoesNotGrowAsync(int heldInRange)
    {
        await using var schema = new TestSchema();
        await using var store = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(schema.Name));
        var agent = AgentId.Parse("read-cost-tester");
        await store.RegisterAgentAsync(agent);
        await PostgresTestServer.ScalarAsync($"ALTER TABLE \"{schema.Name}\".reservations SET (autovacuum_enabled = false)");
        ReservationRequest Shared(string scope) => new(agent, ScopePattern.Parse(scope), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5)) { Mode = ReservationMode.Shared };

        List<ReservationHandle> held = [];
        for (var i = 0; i < heldInRange; i++)
        {
            held.Add(await store.ReserveAsync(Shared($"src/busy/f{i}.cs")));
        }

        if (heldInRange > 0)
        {
            await PostgresTestServer.ScalarAsync($"ANALYZE \"{schema.Name}\".reservations");
        }

        var scope = ScopePattern.Parse("src/busy/**");
        async Task<long> ChurnThenReadAsync(int leases)
        {
            for (var i = 0; i < leases; i++)
            {
                await (await store.ReserveAsync(Shared(scope.Value))).DisposeAsync();
            }

            await UntilNoOlderSnapshotAsync();
            await BuffersReadAsync(schema.Name, scope); // the first read after the churn may visit each ended lease once
            return await BuffersReadAsync(schema.Name, scope);
        }

        var after100 = await ChurnThenReadAsync(100);
        var after1100 = await ChurnThenReadAsync(1_000);
        Assert.True(after1100 <= after100 + 3, $"the read touched {after100} pages after 100 ended leases, {after1100} after 1,100");
        foreach (var handle in held)
        {
            await handle.DisposeAsync();
        }
    }

    /// <summary>
    /// Until no other session's snapshot began before now. Only then are the leases ended so far dead to everyone, so
    /// that a read marks their index entries dead, as it does between two vacuums of a busy table; a snapshot held by
    /// a test running beside this one on the same server (a transaction kept open to hold a lock) would keep them
    /// alive, and the read would visit them all again.
    /// </summary>
    private static async Task UntilNoOlderSnapshotAsync()
    {
        var now = Convert.ToInt64(await PostgresTestServer.ScalarAsync("SELECT txid_current()"), System.Globalization.CultureInfo.InvariantCulture);
        var stopwatch = Stopwatch.StartNew();
        while (await PostgresTestServer.ScalarAsync(
            "SELECT string_agg(pid || ': ' || left(query, 60), '; ') FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_xmin IS NOT NULL AND age(backend_xmin) >= age(($1 % 4294967296)::text::xid)",
            now) is string older)
        {
            Assert.True(stopwatch.Elapsed < Hang, $"Sessions kept a snapshot older than the churn: {older}");
            await Task.Delay(TimeSpan.FromMilliseconds(20)); // the server tells nobody that a snapshot ended: pg_stat_activity is looked at again
        }
    }

    /// <summary>The pages (buffers) the store's read of the active rows a reserve of <paramref name="scope"/> must see touches.</summary>
    private static async Task<long> BuffersReadAsync(string schema, ScopePattern scope)
    {
        var read = PostgresReservationPersistence.ActiveRows(new PostgresSchema(schema), LedgerFocus.Reserving([scope]));
        await using var connection = await PostgresTestServer.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var settings = new NpgsqlCommand("SELECT " + PrefixLocking.IndexScansOnly, connection))
        {
            await settings.ExecuteNonQueryAsync(); // as the decision's first statement does
        }

        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + read.CommandText, connection);
        foreach (NpgsqlParameter parameter in read.Parameters)
        {
            explain.Parameters.Add(new NpgsqlParameter { Value = parameter.Value });
        }

        using var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);
        var top = plan.RootElement[0].GetProperty("Plan");
        return top.GetProperty("Shared Hit Blocks").GetInt64() + top.GetProperty("Shared Read Blocks").GetInt64();
    }
}
