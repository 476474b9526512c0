using System.Diagnostics;
using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// A handle's release of a live lease is one batch (one round trip) and ends the row as the ledger would; a lapsed
/// lease falls back to the two-round-trip decision and ends expired. A release notifies waiters only while some
/// store listens. Batches are counted through Npgsql's tracing filter on the store's own data source.
/// </summary>
public sealed class ReleaseRoundTripTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private static readonly AgentId Holder = AgentId.Parse("holder");
    private static readonly AgentId Waiter = AgentId.Parse("waiter");
    private static readonly BeadId Bead = BeadId.Parse("bd-1");

    [Fact]
    public async Task A_live_lease_is_released_in_one_batch_and_a_lapsed_one_ends_expired_the_two_batch_way()
    {
        await using var schema = new TestSchema();
        var batches = 0;
        var builder = new NpgsqlDataSourceBuilder(PostgresTestServer.ConnectionString);
        builder.ConfigureTracing(o => o.ConfigureBatchFilter(_ =>
        {
            Interlocked.Increment(ref batches);
            return true;
        }));
        await using var source = builder.Build();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(tracing);
        await using var store = new PostgresReservationStore(source, PostgresTestServer.Options(schema.Name));
        await store.RegisterAgentAsync(Holder);
        var request = new ReservationRequest(Holder, ScopePattern.Parse("src/auth/**"), Bead, TimeSpan.FromMinutes(5));

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

    [Fact]
    public async Task A_release_notifies_only_while_some_store_listens()
    {
        await using var schema = new TestSchema();
        var channel = PostgresChangeListener.Channel(new PostgresSchema(schema.Name));
        await using var listener = new NpgsqlConnection(PostgresTestServer.ConnectionString + ";Pooling=false");
        await listener.OpenAsync();
        List<string> heard = [];
        listener.Notification += (_, e) => heard.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using var holders = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(schema.Name));
        await using var waiters = new PostgresReservationStore(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        await holders.RegisterAgentAsync(Holder);
        await holders.RegisterAgentAsync(Waiter);

        // Nobody waits: the release sends nothing, so the marker sent after it is the first thing heard.
        await (await holders.ReserveAsync(new ReservationRequest(Holder, ScopePattern.Parse("src/quiet/**"), Bead))).DisposeAsync();
        Assert.Equal(["marker-1"], await HeardUntilAsync(listener, heard, channel, "marker-1"));

        // A waiter's store listens: the release that frees it is announced (before the marker: commit order).
        var held = await holders.ReserveAsync(new ReservationRequest(Holder, ScopePattern.Parse("src/hot/**"), Bead));
        var waiting = waiters.ReserveAsync(new ReservationRequest(Waiter, ScopePattern.Parse("src/hot/**"), Bead) { Wait = Timeout.InfiniteTimeSpan });
        while ((long)(await PostgresTestServer.ScalarAsync(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND ((classid::bigint << 32) | objid::bigint) = "
            + $"hashtextextended('agentlocks:{schema.Name}:listening', 0)"))! == 0)
        {
            await Task.Delay(10); // until the waiter's store listens
        }

        await held.DisposeAsync();
        await using var granted = await waiting.WaitAsync(Hang);
        Assert.Equal(["src/hot/**", "marker-2"], await HeardUntilAsync(listener, heard, channel, "marker-2"));
    }

    /// <summary>Sends <paramref name="marker"/> on the channel, then returns what the listener hears up to and including it.</summary>
    private static async Task<List<string>> HeardUntilAsync(NpgsqlConnection listener, List<string> heard, string channel, string marker)
    {
        heard.Clear();
        await PostgresTestServer.ScalarAsync("SELECT pg_notify($1, $2)", channel, marker);
        using var timeout = new CancellationTokenSource(Hang);
        while (!heard.Contains(marker))
        {
            await listener.WaitAsync(timeout.Token);
        }

        return [.. heard];
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
