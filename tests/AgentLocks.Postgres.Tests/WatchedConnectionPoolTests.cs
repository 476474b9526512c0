using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// A store's watched connection comes from the caller's pool and goes back to it: however its watch is stopped, the
/// connection must go back in step with the server, or the pool's next user reads someone else's answers.
/// </summary>
public sealed class WatchedConnectionPoolTests
{
    private static readonly AgentId Agent = AgentId.Parse("agent-a");

    [Fact]
    public async Task A_store_stopped_the_moment_its_watch_first_writes_gives_its_connection_back_in_step()
    {
        await using var schema = new TestSchema();
        var pool = "watch-" + Guid.NewGuid().ToString("N");
        var builder = new NpgsqlDataSourceBuilder(PostgresTestServer.ConnectionString) { Name = pool };

        // One connection: the watch gets the one the registration gave back, with the pool's DISCARD ALL queued on it.
        builder.ConnectionStringBuilder.MaxPoolSize = 1;
        await using var dataSource = builder.Build();
        var time = new FakeTimeProvider();
        var options = PostgresTestServer.Options(schema.Name, time);
        var store = new PostgresReservationStore(dataSource, options);
        await store.RegisterAgentAsync(Agent);

        // Npgsql counts written bytes on the writing thread, after the socket took them and before any answer is
        // read: there the watch's heartbeat comes due and its owner disposes the store, the narrowest moment to stop.
        var stopped = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = OnFirstWrite(pool, () =>
        {
            time.Advance(options.HeartbeatInterval);
            stopped.SetResult(store.DisposeAsync().AsTask());
        });
        _ = store.Persistence.ConnectionLost;
        await (await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30))).WaitAsync(TimeSpan.FromSeconds(30));

        await using var next = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT $1::int", next) { Parameters = { new() { Value = 42 } } };
        Assert.Equal(42, await command.ExecuteScalarAsync());
    }

    /// <summary>Runs <paramref name="action"/> on the thread of the first write to the server through pool <paramref name="pool"/>.</summary>
    private static MeterListener OnFirstWrite(string pool, Action action)
    {
        var fired = 0;
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, self) =>
            {
                if (instrument is { Name: "db.client.commands.bytes_written", Meter.Name: "Npgsql" })
                {
                    self.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "pool.name" && Equals(tag.Value, pool) && Interlocked.Exchange(ref fired, 1) == 0)
                {
                    action();
                }
            }
        });
        listener.Start();
        return listener;
    }
}
