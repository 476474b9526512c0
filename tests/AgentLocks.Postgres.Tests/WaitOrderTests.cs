using System.Diagnostics;
using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// Waiters of separate store instances (each its own data source and listener, as separate processes have) queue on
/// the server: they are granted in arrival order, and a release makes only the head of the queue try again. Each
/// waiter is known to be queued once the server shows its place (a session advisory lock, held or awaited).
/// </summary>
public sealed class WaitOrderTests
{
    private const int Waiters = 8;
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private static readonly AgentId Holder = AgentId.Parse("holder");
    private static readonly BeadId Bead = BeadId.Parse("bd-1");
    private static readonly ScopePattern Hot = ScopePattern.Parse("src/hot.cs");

    [Fact]
    public async Task Waiters_of_separate_store_instances_are_granted_in_arrival_order_and_only_the_head_tries()
    {
        await using var schema = new TestSchema();
        var decisions = 0;

        await using var holders = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(schema.Name));
        await holders.RegisterAgentAsync(Holder);
        var held = await holders.ReserveAsync(new ReservationRequest(Holder, Hot, Bead));

        List<TracedDataSource> sources = [];
        List<PostgresReservationStore> stores = [];
        List<Task<ReservationHandle>> waiting = [];
        try
        {
            for (var i = 0; i < Waiters; i++)
            {
                // Every decision starts with its prefix locks: one such batch is one try (or a release).
                sources.Add(new TracedDataSource(sent =>
                {
                    if (sent.Any(sql => sql.Contains("pg_advisory_xact_lock", StringComparison.Ordinal)))
                    {
                        Interlocked.Increment(ref decisions);
                    }
                }));
                stores.Add(new PostgresReservationStore(sources[^1].DataSource, PostgresTestServer.Options(schema.Name)));
                var agent = AgentId.Parse($"waiter-{i}");
                await holders.RegisterAgentAsync(agent);
                waiting.Add(stores[^1].ReserveAsync(new ReservationRequest(agent, Hot, Bead) { Wait = Timeout.InfiniteTimeSpan }));
                await QueuedAsync(schema, i + 1);
            }

            // Only the head's store listens: the stores of the waiters behind it stopped, so a release wakes one.
            await ListeningStoresAsync(schema, 1);

            var beforeRelease = Volatile.Read(ref decisions);
            await held.DisposeAsync();
            for (var i = 0; i < Waiters; i++)
            {
                var next = await Task.WhenAny(waiting).WaitAsync(Hang);
                Assert.Same(waiting[i], next);
                await using var granted = await next;
                Assert.Equal($"waiter-{i}", granted.Reservation.AgentId.Value);
                waiting[i] = new TaskCompletionSource<ReservationHandle>().Task; // granted: out of the race
            }

            // Per grant, about 3: the head's winning try, its release, the next head's first try (which finds it held).
            // Waking every waiter on each release would cost Waiters/2 tries per grant on average.
            var perGrant = (double)(Volatile.Read(ref decisions) - beforeRelease) / Waiters;
            Assert.InRange(perGrant, 1, 4);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }

            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Waiters_that_run_out_of_time_or_are_cancelled_in_the_queue_leave_it()
    {
        await using var schema = new TestSchema();
        AgentId[] agents = [AgentId.Parse("first"), AgentId.Parse("second"), AgentId.Parse("third")];
        await using var holders = await HoldersAsync(schema, agents);
        await using var first = Store(schema);
        await using var second = Store(schema);
        await using var third = Store(schema);

        var held = await holders.ReserveAsync(new ReservationRequest(Holder, Hot, Bead));
        using var cancel = new CancellationTokenSource();
        var cancelled = first.ReserveAsync(new ReservationRequest(agents[0], Hot, Bead) { Wait = Timeout.InfiniteTimeSpan }, cancel.Token);
        await QueuedAsync(schema, 1);

        // Behind the head, on the server: its time runs out there, and it returns the conflict.
        var late = await second.TryReserveAsync(new ReservationRequest(agents[1], Hot, Bead) { Wait = TimeSpan.FromMilliseconds(300) }).WaitAsync(Hang);
        await using var unexpected = late.Handle; // released if the store wrongly granted it
        Assert.Equal(ErrorCode.ReservationConflict, late.Error?.Code);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Hang));

        // Neither left a place behind: the next waiter is the head and is granted on the release.
        var next = third.ReserveAsync(new ReservationRequest(agents[2], Hot, Bead) { Wait = Timeout.InfiniteTimeSpan });
        await QueuedAsync(schema, 1);
        await held.DisposeAsync();
        await using var granted = await next.WaitAsync(Hang);
        Assert.Equal(agents[2], granted.Reservation.AgentId);
    }

    [Fact]
    public async Task A_newcomer_queues_behind_waiters_without_taking_the_decision_lock_but_a_holder_extending_its_work_does_not_queue()
    {
        await using var schema = new TestSchema();
        AgentId[] agents = [AgentId.Parse("first"), AgentId.Parse("second")];
        await using var holders = await HoldersAsync(schema, agents);
        await using var first = Store(schema);
        await using var second = Store(schema);

        await using var held = await holders.ReserveAsync(new ReservationRequest(Holder, Hot, Bead));
        var firstWaiting = first.ReserveAsync(new ReservationRequest(agents[0], Hot, Bead) { Wait = Timeout.InfiniteTimeSpan });
        await QueuedAsync(schema, 1);

        // The scope's decision lock, held elsewhere: a try the usual way waits for it.
        var prefixKey = PrefixLocking.Key(new PostgresSchema(schema.Name), ScopeGlob.LiteralPrefix(Hot.Value));
        await using var blocker = await PostgresTestServer.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", blocker))
        {
            command.Parameters.Add(new() { Value = prefixKey });
            await command.ExecuteNonQueryAsync();
        }

        // The holder refreshing its own lease is not put behind the waiter, which waits for that very lease; and what
        // it changes it decides under the lock: it waits for it, though it first saw the queue without it.
        var refreshing = holders.TryReserveAsync(new ReservationRequest(Holder, Hot, Bead) { Wait = Hang });
        await WaitingForLockAsync(prefixKey, refreshing);

        // A newcomer that tried the usual way would wait for the lock as well; it sees the queue and takes its place
        // behind the waiter instead.
        var secondWaiting = second.ReserveAsync(new ReservationRequest(agents[1], Hot, Bead) { Wait = Timeout.InfiniteTimeSpan });
        await QueuedAsync(schema, 2);
        await transaction.CommitAsync();

        var refreshed = await refreshing.WaitAsync(Hang);
        Assert.True(refreshed.Succeeded, refreshed.Error?.Message);
        Assert.Equal(held.Reservation.Id, refreshed.Handle.Reservation.Id);
        await refreshed.Handle.DisposeAsync();
        await using (var granted = await firstWaiting.WaitAsync(Hang))
        {
            Assert.Equal(agents[0], granted.Reservation.AgentId);
            Assert.False(secondWaiting.IsCompleted);
        }

        await using var last = await secondWaiting.WaitAsync(Hang);
        Assert.Equal(agents[1], last.Reservation.AgentId);
    }

    [Theory]
    [InlineData(";Command Timeout=1")] // the driver's, 30 s by default
    [InlineData(";Options=-c statement_timeout=1000")] // the server's, as a role or database may set it
    [InlineData(";Options=-c lock_timeout=1000")] // the server's for a wait for any lock, advisory ones too
    public async Task A_waiter_keeps_its_place_in_the_queue_longer_than_a_statement_may_run(string timeout)
    {
        await using var schema = new TestSchema();
        AgentId[] agents = [AgentId.Parse("first"), AgentId.Parse("second")];
        await using var holders = await HoldersAsync(schema, agents);
        await using var held = await holders.ReserveAsync(new ReservationRequest(Holder, Hot, Bead));

        // A wait outlasts any time given to one statement; one second here, for the waiter behind, so the test need
        // not wait longer. Its pool keeps session state, as a store's own does (No Reset On Close), so what its place
        // changed stays unless the place undoes it.
        var connectionString = PostgresTestServer.ConnectionString + timeout;
        await using var first = Store(schema);
        await using var secondSource = NpgsqlDataSource.Create(connectionString + ";No Reset On Close=true");
        await using var second = new PostgresReservationStore(secondSource, PostgresTestServer.Options(schema.Name));
        var firstWaiting = first.ReserveAsync(new ReservationRequest(agents[0], Hot, Bead) { Wait = Timeout.InfiniteTimeSpan });
        await QueuedAsync(schema, 1);
        var secondWaiting = second.ReserveAsync(new ReservationRequest(agents[1], Hot, Bead) { Wait = Timeout.InfiniteTimeSpan });
        await QueuedAsync(schema, 2);

        // For three timeouts the second still waits for its place behind the first (a wait that timed out would
        // leave the queue, and the waiter would wait unqueued, trying at every release).
        var key = PostgresWaitQueue.Key(new PostgresSchema(schema.Name), Hot);
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(3))
        {
            Assert.Equal(2, await PostgresTestServer.AdvisoryLocksAsync(key));
            Assert.False(secondWaiting.IsCompleted);
            await Task.Delay(TimeSpan.FromMilliseconds(50)); // the place is looked at again: the server reports no change
        }

        await held.DisposeAsync();
        await using (var granted = await Task.WhenAny(firstWaiting, secondWaiting).WaitAsync(Hang).Unwrap())
        {
            Assert.Equal(agents[0], granted.Reservation.AgentId);
        }

        await using var last = await secondWaiting.WaitAsync(Hang);
        Assert.Equal(agents[1], last.Reservation.AgentId);

        // Every connection the second's pool hands out again has the timeouts a new one has.
        string expected;
        await using (var fresh = new NpgsqlConnection(connectionString + ";Pooling=false"))
        {
            await fresh.OpenAsync();
            expected = await ShowTimeoutsAsync(fresh);
        }

        List<NpgsqlConnection> pooled = [];
        try
        {
            for (var i = 0; i < 6; i++) // more than a waiting store holds at once: every idle one is among them
            {
                pooled.Add(await secondSource.OpenConnectionAsync());
                Assert.Equal(expected, await ShowTimeoutsAsync(pooled[^1]));
            }
        }
        finally
        {
            foreach (var connection in pooled)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<string> ShowTimeoutsAsync(NpgsqlConnection connection)
    {
        await using var show = new NpgsqlCommand("SELECT current_setting('statement_timeout') || ' ' || current_setting('lock_timeout')", connection);
        return (string)(await show.ExecuteScalarAsync())!;
    }

    /// <summary>Until a session waits for the advisory lock <paramref name="key"/>; fails if <paramref name="call"/> ends first.</summary>
    private static async Task WaitingForLockAsync(long key, Task call)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (await PostgresTestServer.AdvisoryLocksAsync(key, waiting: true) > 0)
            {
                return;
            }

            Assert.False(call.IsCompleted, "The call ended without waiting for the lock.");
            Assert.True(stopwatch.Elapsed < Hang, "Nobody waited for the lock.");
            await Task.Delay(TimeSpan.FromMilliseconds(10)); // the server tells nobody that a session began to wait: pg_locks is looked at again
        }
    }

    /// <summary>The holder's store, on the tests' data source, with the holder and <paramref name="agents"/> registered.</summary>
    private static async Task<PostgresReservationStore> HoldersAsync(TestSchema schema, IEnumerable<AgentId> agents)
    {
        var holders = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(schema.Name));
        foreach (var agent in agents.Prepend(Holder))
        {
            await holders.RegisterAgentAsync(agent);
        }

        return holders;
    }

    /// <summary>A store instance of its own (its own data source and listener), as another process has.</summary>
    private static PostgresReservationStore Store(TestSchema schema) => new(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));

    /// <summary>Until exactly <paramref name="count"/> connections listen for the schema's ended leases (hold its listening lock).</summary>
    private static async Task ListeningStoresAsync(TestSchema schema, int count)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            await using var command = PostgresTestServer.DataSource.CreateCommand($"""
                SELECT count(*) FROM pg_locks, (SELECT {PostgresChangeListener.ListeningKey(new PostgresSchema(schema.Name))} AS key) AS listening
                WHERE locktype = 'advisory' AND objsubid = 1 AND granted
                  AND classid::bigint = (key >> 32) & 4294967295 AND objid::bigint = key & 4294967295
                """);
            var listening = (long)(await command.ExecuteScalarAsync())!;
            if (listening == count)
            {
                return;
            }

            Assert.True(stopwatch.Elapsed < Hang, $"{listening} connections listen, not {count}.");
            await Task.Delay(TimeSpan.FromMilliseconds(10)); // a store stops listening at its next slice, which no event marks: pg_locks is the count
        }
    }

    /// <summary>Until <paramref name="count"/> waiters hold or await the hot scope's queue on the server.</summary>
    private static async Task QueuedAsync(TestSchema schema, int count)
    {
        var key = PostgresWaitQueue.Key(new PostgresSchema(schema.Name), Hot);
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (await PostgresTestServer.AdvisoryLocksAsync(key) >= count)
            {
                return;
            }

            Assert.True(stopwatch.Elapsed < Hang, $"Waiter {count} never queued on the server.");
            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }
    }
}
