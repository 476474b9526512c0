using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// A handle's release of a live lease is one batch (one round trip) and ends the row as the ledger would; a lapsed
/// lease falls back to the two-round-trip decision and ends expired. A decision's batches are the ones that hold
/// its <c>BEGIN</c> or its <c>COMMIT</c>, counted on the store's own data source.
/// </summary>
public sealed class ReleaseRoundTripTests
{

    [Fact]
    public async Task A_live_lease_is_released_in_one_batch_and_a_lapsed_one_ends_expired_the_two_batch_way()
    {
        await using var schema = new TestSchema();
        var batches = 0;
        await using var source = new TracedDataSource(sent =>
        {
            if (sent.Any(sql => sql == "COMMIT" || sql.StartsWith("BEGIN", StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref batches);
            }
        });
        await using var store = new PostgresReservationStore(source.DataSource, PostgresTestServer.Options(schema.Name));
        var holder = AgentId.Parse("holder");
        await store.RegisterAgentAsync(holder);
        var request = new ReservationRequest(holder, ScopePattern.Parse("src/auth/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5));

        var live = await store.ReserveAsync(request);
        var before = Volatile.Read(ref batches);
        await live.DisposeAsync();
        Assert.Equal(1, Volatile.Read(ref batches) - before);
        var liveId = await LatestAsync(schema);
        Assert.Equal(["Reserved", "Released"], await EventsAsync(schema, liveId));
        Assert.Equal("released", await StateAsync(schema, liveId));
        var releasedAt = (DateTime)(await PostgresTestServer.ScalarAsync(
            $"SELECT released_at FROM \"{schema.Name}\".reservations WHERE reservation_id = $1", liveId.Value))!;
        Assert.Equal(releasedAt, (DateTime)(await PostgresTestServer.ScalarAsync(
            $"SELECT recorded_at FROM \"{schema.Name}\".history WHERE reservation_id = $1 AND event = 'Released'", liveId.Value))!);

        var lapsed = await store.ReserveAsync(request);
        store.Persistence.Clock.Offset = TimeSpan.FromMinutes(6);
        before = Volatile.Read(ref batches);
        await lapsed.DisposeAsync();
        Assert.Equal(3, Volatile.Read(ref batches) - before); // the guarded batch that wrote nothing, then the decision's two
        var lapsedId = await LatestAsync(schema);
        Assert.Equal(["Reserved", "Expired"], await EventsAsync(schema, lapsedId));
        Assert.Equal("expired", await StateAsync(schema, lapsedId));
    }

    private static async Task<List<string>> EventsAsync(TestSchema schema, ReservationId id)
    {
        await using var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT event FROM \"{schema.Name}\".history WHERE reservation_id = $1 ORDER BY seq", connection)
        {
            Parameters = { new() { Value = id.Value } },
        };
        List<string> events = [];
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            events.Add(reader.GetString(0));
        }

        return events;
    }

    /// <summary>The reservation granted last.</summary>
    private static async Task<ReservationId> LatestAsync(TestSchema schema)
        => ReservationId.Parse((string)(await PostgresTestServer.ScalarAsync($"SELECT reservation_id FROM \"{schema.Name}\".reservations ORDER BY fencing_token DESC LIMIT 1"))!);

    private static async Task<string> StateAsync(TestSchema schema, ReservationId id)
        => (string)(await PostgresTestServer.ScalarAsync($"SELECT state FROM \"{schema.Name}\".reservations WHERE reservation_id = $1", id.Value))!;
}
