using System.Diagnostics;
using System.Globalization;
using AgentLocks.Postgres;
using Npgsql;

namespace AgentLocks.Benchmarks;

/// <summary>
/// One client's reserve+release beside the raw two-commit floor (an <c>INSERT</c> committed, then a <c>DELETE</c>
/// committed, prepared, on a connection of its own), alternating in blocks so both meet the same load: the
/// BenchmarkDotNet cells measure each case for a few hundred round trips at a time, too few to compare one client's
/// small ratios. Prints each block's ratio, then the medians. Needs <c>AGENTLOCKS_TEST_POSTGRES</c>.
/// </summary>
internal static class PostgresOneClient
{
    public static async Task RunAsync(int blocks, int roundTrips, TextWriter output)
    {
        var connectionString = Environment.GetEnvironmentVariable("AGENTLOCKS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("Set AGENTLOCKS_TEST_POSTGRES (source .ci/postgres.sh) to run the PostgreSQL benchmarks.");
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await Execute(connection, $"CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".floor (id integer PRIMARY KEY)");
        try
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO \"{schema}\".floor (id) VALUES (1)", connection);
            await using var delete = new NpgsqlCommand($"DELETE FROM \"{schema}\".floor WHERE id = 1", connection);
            await insert.PrepareAsync();
            await delete.PrepareAsync();
            async Task Floor()
            {
                await insert.ExecuteNonQueryAsync();
                await delete.ExecuteNonQueryAsync();
            }

            await using var store = new PostgresReservationStore(connectionString, new PostgresStoreOptions { Schema = schema });
            var agent = AgentId.Parse("bench-one");
            await store.RegisterAgentAsync(agent);
            var request = new ReservationRequest(agent, ScopePattern.Parse("src/one/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5));
            long reserving = 0, releasing = 0;
            async Task Store()
            {
                var started = Stopwatch.GetTimestamp();
                var handle = await store.ReserveAsync(request);
                var reserved = Stopwatch.GetTimestamp();
                await handle.DisposeAsync();
                (reserving, releasing) = (reserving + reserved - started, releasing + Stopwatch.GetTimestamp() - reserved);
            }

            await Taker.WarmUp.UntilTheJitIsQuietAsync(async () =>
            {
                await Floor();
                await Store();
            }, atLeast: 300);

            (reserving, releasing) = (0, 0);
            List<double> floor = [], ours = [], ratios = [];
            output.WriteLine($"PostgreSQL, 1 client, {blocks} blocks of {roundTrips} round trips each way, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            for (var b = 0; b < blocks; b++)
            {
                var floorRate = await Rate(Floor, roundTrips);
                var storeRate = await Rate(Store, roundTrips);
                (floor, ours, ratios) = ([.. floor, floorRate], [.. ours, storeRate], [.. ratios, storeRate / floorRate]);
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"floor {Median(floor):0}/s, store {Median(ours):0}/s, store ÷ floor {Median(ratios):0.00} (blocks {ratios.Min():0.00} to {ratios.Max():0.00}); a reserve {Micro(reserving):0} µs, a release {Micro(releasing):0} µs on average"));
            double Micro(long ticks) => ticks * 1e6 / Stopwatch.Frequency / (blocks * roundTrips);
        }
        finally
        {
            await Execute(connection, $"DROP SCHEMA \"{schema}\" CASCADE");
        }
    }

    private static async Task<double> Rate(Func<Task> roundTrip, int count)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await roundTrip();
        }

        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
