using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// Waiting on PostgreSQL: woken by <c>LISTEN/NOTIFY</c> when an overlapping lease ends, and silent while other scopes
/// change. The clocks never move, so no timer can be what woke a waiter; every statement the waiter's store sends is
/// counted through Npgsql's tracing filters on its own data source.
/// </summary>
public sealed class WaitTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private static readonly AgentId Holder = AgentId.Parse("holder");
    private static readonly AgentId Waiter = AgentId.Parse("waiter");
    private static readonly BeadId Bead = BeadId.Parse("bd-1");

    [Fact]
    public async Task A_waiter_is_woken_by_notify_and_sends_nothing_while_other_scopes_change()
    {
        const int Churn = 30;
        await using var schema = new TestSchema();
        var statements = 0;
        var listened = false;
        var triedAfterListen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var waiterSource = new TracedDataSource(sent =>
        {
            Interlocked.Increment(ref statements);
            if (Volatile.Read(ref listened))
            {
                triedAfterListen.TrySetResult();
            }

            Volatile.Write(ref listened, listened || sent[0].StartsWith("LISTEN", StringComparison.Ordinal));
        });

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var holders = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(schema.Name, time));
        await using var waiters = new PostgresReservationStore(waiterSource.DataSource, PostgresTestServer.Options(schema.Name, time));
        await holders.RegisterAgentAsync(Holder);
        await holders.RegisterAgentAsync(Waiter);
        var held = await holders.ReserveAsync(new ReservationRequest(Holder, ScopePattern.Parse("src/auth/**"), Bead));

        var waiting = waiters.TryReserveAsync(new ReservationRequest(Waiter, ScopePattern.Parse("src/auth/login.cs"), Bead) { Wait = Timeout.InfiniteTimeSpan });
        await triedAfterListen.Task.WaitAsync(Hang);
        var atStart = Volatile.Read(ref statements);

        // Other agents' work on other scopes: every release is a notification the waiter hears and passes over.
        for (var i = 0; i < Churn; i++)
        {
            await (await holders.ReserveAsync(new ReservationRequest(Holder, ScopePattern.Parse($"docs/{i}"), Bead))).DisposeAsync();
        }

        Assert.False(waiting.IsCompleted);
        await held.DisposeAsync();
        var result = await waiting.WaitAsync(Hang);

        Assert.True(result.Succeeded, result.Error?.Message);
        await using var granted = result.Handle;

        // Left for the whole wait: the rest of the first try (an agent look-up), the heartbeat, the place in the
        // queue taken and given up, the try that won.
        var whileWaiting = Volatile.Read(ref statements) - atStart;
        Assert.InRange(whileWaiting, 1, 8);
    }

    [Fact]
    public async Task A_lease_that_is_swept_as_expired_wakes_its_waiter()
    {
        await using var schema = new TestSchema();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var holders = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(schema.Name, time));
        await using var waiters = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(schema.Name, time));
        await holders.RegisterAgentAsync(Holder);
        await holders.RegisterAgentAsync(Waiter);
        LeftHeld.OnPurpose(await holders.ReserveAsync(new ReservationRequest(Holder, ScopePattern.Parse("deploy:prod"), Bead, TimeSpan.FromMinutes(5)))); // its lease ends by the clock

        var waiting = waiters.ReserveAsync(new ReservationRequest(Waiter, ScopePattern.Parse("deploy:prod"), Bead) { Wait = Timeout.InfiniteTimeSpan });

        // The server's clock moves on for the holder's store only, and its sweep (a status) ends the lease; the
        // waiter's own clock stands still, so only the notification can wake it.
        holders.Persistence.Clock.Offset = TimeSpan.FromMinutes(6);
        await holders.GetStatusAsync();
        waiters.Persistence.Clock.Offset = TimeSpan.FromMinutes(6);

        await using var granted = await waiting.WaitAsync(Hang);
        Assert.Equal(Waiter, granted.Reservation.AgentId);
    }

    [Fact]
    public async Task A_store_whose_callers_wait_again_and_again_keeps_listening_between_waits()
    {
        const int Rounds = 5;
        await using var schema = new TestSchema();
        var listens = 0;
        await using var waiterSource = new TracedDataSource(sent =>
        {
            if (sent[0].StartsWith("LISTEN", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref listens);
            }
        });
        await using var holders = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(schema.Name));
        await using var waiters = new PostgresReservationStore(waiterSource.DataSource, PostgresTestServer.Options(schema.Name));
        await holders.RegisterAgentAsync(Holder);
        await holders.RegisterAgentAsync(Waiter);
        var scope = ScopePattern.Parse("src/hot.cs");

        for (var i = 0; i < Rounds; i++)
        {
            var held = await holders.ReserveAsync(new ReservationRequest(Holder, scope, Bead));
            var waiting = waiters.ReserveAsync(new ReservationRequest(Waiter, scope, Bead) { Wait = Timeout.InfiniteTimeSpan });
            await held.DisposeAsync();
            await (await waiting.WaitAsync(Hang)).DisposeAsync();
        }

        // A listener per wait would LISTEN once a round; kept for a second after each wait, it is reused (a round
        // that took longer than that on a loaded machine may listen anew, so not necessarily exactly once).
        Assert.InRange(Volatile.Read(ref listens), 1, Rounds - 1);
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
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PostgresChangeListener.Listening = name =>
        {
            if (name == schema.Name)
            {
                listening.TrySetResult();
            }
        };
        var waiting = waiters.ReserveAsync(new ReservationRequest(Waiter, ScopePattern.Parse("src/hot/**"), Bead) { Wait = Timeout.InfiniteTimeSpan });
        await listening.Task.WaitAsync(Hang); // the waiter's store listens
        PostgresChangeListener.Listening = null;

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
}
