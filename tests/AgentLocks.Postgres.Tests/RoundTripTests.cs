using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// An uncontended reserve, a refusal and a handle's release of a live lease are one batch (one round trip) each and
/// write what the ledger decides; what the ledger must write beside other rows (a lapsed lease ended) falls back to
/// the two-round-trip decision. A decision's batches are the ones that hold its <c>BEGIN</c> or its <c>COMMIT</c>,
/// counted on the store's own data source.
/// </summary>
public sealed class RoundTripTests
{
    private static readonly AgentId Holder = AgentId.Parse("holder"), Other = AgentId.Parse("other");

    [Fact]
    public async Task A_live_lease_is_released_in_one_batch_and_a_lapsed_one_ends_expired_the_two_batch_way()
    {
        await using var traced = await Traced.StartAsync();
        var (schema, store) = (traced.Schema, traced.Store);
        var request = new ReservationRequest(Holder, ScopePattern.Parse("src/auth/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5));

        var live = await store.ReserveAsync(request);
        var before = traced.Batches;
        await live.DisposeAsync();
        Assert.Equal(1, traced.Batches - before);
        var liveId = await LatestAsync(schema);
        Assert.Equal(["Reserved", "Released"], await EventsAsync(schema, liveId));
        Assert.Equal("released", await StateAsync(schema, liveId));
        var releasedAt = (DateTime)(await PostgresTestServer.ScalarAsync(
            $"SELECT released_at FROM \"{schema.Name}\".reservations WHERE reservation_id = $1", liveId.Value))!;
        Assert.Equal(releasedAt, (DateTime)(await PostgresTestServer.ScalarAsync(
            $"SELECT recorded_at FROM \"{schema.Name}\".history WHERE reservation_id = $1 AND event = 'Released'", liveId.Value))!);

        var lapsed = await store.ReserveAsync(request);
        store.Persistence.Clock.Offset = TimeSpan.FromMinutes(6);
        before = traced.Batches;
        await lapsed.DisposeAsync();
        Assert.Equal(3, traced.Batches - before); // the guarded batch that wrote nothing, then the decision's two
        var lapsedId = await LatestAsync(schema);
        Assert.Equal(["Reserved", "Expired"], await EventsAsync(schema, lapsedId));
        Assert.Equal("expired", await StateAsync(schema, lapsedId));
    }

    [Fact]
    public async Task An_uncontended_reserve_is_one_batch_that_writes_the_ledgers_row_and_its_history_row()
    {
        await using var traced = await Traced.StartAsync();
        var (schema, store) = (traced.Schema, traced.Store);

        var before = traced.Batches;
        await using var held = await store.ReserveAsync(new ReservationRequest(Holder, ScopePattern.Parse("src/auth/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5))
        {
            Reason = "login",
        });
        Assert.Equal(1, traced.Batches - before);
        var granted = held.Reservation;
        Assert.Equal(granted.Id, await LatestAsync(schema));
        Assert.Equal(["Reserved"], await EventsAsync(schema, granted.Id));
        Assert.Equal(TimeSpan.FromMinutes(5), granted.ExpiresAt - granted.CreatedAt);
        Assert.StartsWith($"res_{granted.CreatedAt.UtcDateTime:yyyyMMdd_HHmmss.fff}Z_", granted.Id.Value, StringComparison.Ordinal);
        await using (var row = await RowAsync(schema, "reservations", granted.Id))
        {
            Assert.Equal(
                (granted.Scope.Value, granted.AgentId.Value, granted.BeadId.Value, "exclusive", "active", granted.CreatedAt.UtcDateTime, granted.ExpiresAt.UtcDateTime, granted.FencingToken!.Value.Value, "login", "src/auth/"),
                (row.Reader.GetString(1), row.Reader.GetString(2), row.Reader.GetString(3), row.Reader.GetString(4), row.Reader.GetString(5), row.Reader.GetDateTime(6), row.Reader.GetDateTime(7), row.Reader.GetInt64(9), row.Reader.GetString(10), row.Reader.GetString(11)));
        }

        await using (var history = await RowAsync(schema, "history", granted.Id))
        {
            Assert.Equal((granted.CreatedAt.UtcDateTime, granted.ExpiresAt.UtcDateTime, granted.FencingToken!.Value.Value), (history.Reader.GetDateTime(6), history.Reader.GetDateTime(7), history.Reader.GetInt64(9)));
        }

        // Several scopes at once likewise: one batch, one row each, tokens in the ledger's order.
        before = traced.Batches;
        await using var set = await store.ReserveAllAsync([
            new ReservationRequest(Holder, ScopePattern.Parse("docs/a.md"), BeadId.Parse("bd-2")),
            new ReservationRequest(Holder, ScopePattern.Parse("docs/b.md"), BeadId.Parse("bd-2")) { Mode = ReservationMode.Shared },
        ]);
        Assert.Equal(1, traced.Batches - before);
        Assert.Equal(["docs/a.md", "docs/b.md"], set.Handles.Select(h => h.Reservation.Scope.Value));
        Assert.True(set.Handles[0].FencingToken.Value < set.Handles[1].FencingToken.Value);
        foreach (var handle in set.Handles)
        {
            Assert.Equal(["Reserved"], await EventsAsync(schema, handle.Reservation.Id));
            Assert.Equal(handle.Reservation.Mode.ToWireName(), (string)(await PostgresTestServer.ScalarAsync(
                $"SELECT mode FROM \"{schema.Name}\".reservations WHERE reservation_id = $1 AND state = 'active'", handle.Reservation.Id.Value))!);
        }
    }

    [Fact]
    public async Task A_refusal_by_a_live_lease_is_one_batch_that_writes_nothing()
    {
        await using var traced = await Traced.StartAsync();
        await using var held = await traced.Store.ReserveAsync(new ReservationRequest(Holder, ScopePattern.Parse("src/auth/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5)));

        await RefusedInOneBatchAsync(traced, new ReservationRequest(Other, ScopePattern.Parse("src/auth/login.cs"), BeadId.Parse("bd-2")), ErrorCode.ReservationConflict);
    }

    [Fact]
    public async Task An_expired_candidate_takes_the_guarded_batch_and_the_two_batch_way_and_ends_the_expired_row()
    {
        await using var traced = await Traced.StartAsync();
        var (schema, store) = (traced.Schema, traced.Store);
        await using var lapsed = await store.ReserveAsync(new ReservationRequest(Holder, ScopePattern.Parse("src/auth/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5)));
        store.Persistence.Clock.Offset = TimeSpan.FromMinutes(6);
        var request = new ReservationRequest(Other, ScopePattern.Parse("src/auth/login.cs"), BeadId.Parse("bd-2"));

        // Without a takeover the ledger refuses, writing nothing: that stands, in the one batch.
        await RefusedInOneBatchAsync(traced, request, ErrorCode.ReservationStaleFound);

        var before = traced.Batches;
        await using var taker = await store.ReserveAsync(request with { TakeoverStale = true });
        Assert.Equal(3, traced.Batches - before); // the guarded batch that wrote nothing, then the decision's two
        Assert.Equal(["Reserved", "TakenOver"], await EventsAsync(schema, lapsed.Reservation.Id));
        Assert.Equal("expired", await StateAsync(schema, lapsed.Reservation.Id));
        Assert.Equal(["Reserved"], await EventsAsync(schema, taker.Reservation.Id));
        Assert.Equal("active", await StateAsync(schema, taker.Reservation.Id));
        Assert.True(taker.FencingToken.Value > lapsed.FencingToken.Value);
    }

    [Fact]
    public async Task A_newcomer_behind_a_busy_queue_is_refused_in_one_batch_that_writes_nothing()
    {
        var queueing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var traced = await Traced.StartAsync(sql =>
        {
            if (sql == "SELECT pg_advisory_lock($1)")
            {
                queueing.TrySetResult(); // the newcomer, refused, takes its place behind the queue's holder
            }
        });
        var (schema, store) = (traced.Schema, traced.Store);
        var scope = ScopePattern.Parse("src/auth/**");

        // Another process's waiter holds the scope's queue: the newcomer's first try finds it busy.
        await using var waiter = new NpgsqlConnection(PostgresTestServer.ConnectionString);
        await waiter.OpenAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock($1)", waiter) { Parameters = { new() { Value = PostgresWaitQueue.Key(new PostgresSchema(schema.Name), scope) } } })
        {
            await take.ExecuteNonQueryAsync();
        }

        var written = await WrittenAsync(schema);
        var before = traced.Batches;
        var reserving = store.ReserveAsync(new ReservationRequest(Holder, scope, BeadId.Parse("bd-1")) { Wait = Timeout.InfiniteTimeSpan });
        await queueing.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, traced.Batches - before);
        Assert.Equal(written, await WrittenAsync(schema));

        // The queue's holder leaves: the newcomer, now at the head, is granted.
        await using (var leave = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", waiter))
        {
            await leave.ExecuteNonQueryAsync();
        }

        await using var held = await reserving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["Reserved"], await EventsAsync(schema, held.Reservation.Id));
    }

    /// <summary>Asserts that <paramref name="request"/> is refused with <paramref name="code"/> in one batch that writes nothing.</summary>
    private static async Task RefusedInOneBatchAsync(Traced traced, ReservationRequest request, ErrorCode code)
    {
        var written = await WrittenAsync(traced.Schema);
        var before = traced.Batches;
        Assert.Equal(code, (await Assert.ThrowsAsync<AgentLocksException>(() => traced.Store.ReserveAsync(request))).Code);
        Assert.Equal(1, traced.Batches - before);
        Assert.Equal(written, await WrittenAsync(traced.Schema));
    }

    /// <summary>How many rows the reservations and history tables hold.</summary>
    private static async Task<(long, long)> WrittenAsync(TestSchema schema)
        => ((long)(await PostgresTestServer.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".reservations"))!,
            (long)(await PostgresTestServer.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".history"))!);

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

    /// <summary>The one row of <paramref name="table"/> for <paramref name="id"/>, its columns in the store's order (then <c>scope_prefix</c> for the reservations).</summary>
    private static async Task<Row> RowAsync(TestSchema schema, string table, ReservationId id)
    {
        var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString);
        await connection.OpenAsync();
        var extra = table == "reservations" ? ", scope_prefix" : "";
        var command = new NpgsqlCommand($"""
            SELECT reservation_id, scope, agent_id, bead_id, mode, state, created_at, expires_at, released_at, fencing_token, reason{extra}
            FROM "{schema.Name}".{table} WHERE reservation_id = $1
            """, connection)
        {
            Parameters = { new() { Value = id.Value } },
        };
        var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return new Row(connection, reader);
    }

    /// <summary>The reservation granted last.</summary>
    private static async Task<ReservationId> LatestAsync(TestSchema schema)
        => ReservationId.Parse((string)(await PostgresTestServer.ScalarAsync($"SELECT reservation_id FROM \"{schema.Name}\".reservations ORDER BY fencing_token DESC LIMIT 1"))!);

    private static async Task<string> StateAsync(TestSchema schema, ReservationId id)
        => (string)(await PostgresTestServer.ScalarAsync($"SELECT state FROM \"{schema.Name}\".reservations WHERE reservation_id = $1", id.Value))!;

    private sealed class Row(NpgsqlConnection connection, NpgsqlDataReader reader) : IAsyncDisposable
    {
        public NpgsqlDataReader Reader => reader;

        public async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// A fresh schema and a store on a traced data source, with <see cref="Holder"/> and <see cref="Other"/> registered;
    /// counts the batches holding <c>BEGIN</c> or <c>COMMIT</c> and shows every statement to <c>seen</c>.
    /// </summary>
    private sealed class Traced : IAsyncDisposable
    {
        private readonly TracedDataSource _source;
        private int _batches;

        private Traced(Action<string>? seen)
        {
            _source = new(sent =>
            {
                foreach (var sql in sent)
                {
                    seen?.Invoke(sql);
                }

                if (sent.Any(sql => sql is "BEGIN" or "COMMIT"))
                {
                    Interlocked.Increment(ref _batches);
                }
            });
            Store = new PostgresReservationStore(_source.DataSource, PostgresTestServer.Options(Schema.Name));
        }

        public TestSchema Schema { get; } = new();

        public PostgresReservationStore Store { get; }

        public int Batches => Volatile.Read(ref _batches);

        public static async Task<Traced> StartAsync(Action<string>? seen = null)
        {
            var traced = new Traced(seen);
            await traced.Store.RegisterAgentAsync(Holder);
            await traced.Store.RegisterAgentAsync(Other);
            return traced;
        }

        public async ValueTask DisposeAsync()
        {
            await Store.DisposeAsync();
            await _source.DisposeAsync();
            await Schema.DisposeAsync();
        }
    }
}
