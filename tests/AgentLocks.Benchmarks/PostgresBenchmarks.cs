using System.Collections.Concurrent;
using System.Diagnostics;
using AgentLocks.Postgres;
using BenchmarkDotNet.Attributes;
using Npgsql;

namespace AgentLocks.Benchmarks;

/// <summary>
/// Reserve+release round trips against a real PostgreSQL with 1, 8 and 32 concurrent clients (each its own store,
/// on its own scope). The mean is the wall time of one round, in which every client does one round trip, so the
/// store's throughput is <c>Clients / Mean</c> round trips per second; the p50/p99 latency of a single round trip
/// (over every invocation, warm-up included) is printed at the end of each case. Needs a server:
/// <c>source .ci/postgres.sh</c>, then
/// <c>dotnet run -c Release --project tests/AgentLocks.Benchmarks -- --filter '*Postgres*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class PostgresBenchmarks
{
    private const int RoundTripsPerClient = 10;
    private readonly ConcurrentBag<double> _latencies = [];
    private NpgsqlDataSource _dataSource = null!;
    private string _schema = null!;
    private List<(PostgresReservationStore Store, ReservationRequest Request)> _clients = [];

    [Params(1, 8, 32)]
    public int Clients { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var connectionString = Environment.GetEnvironmentVariable("AGENTLOCKS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("Set AGENTLOCKS_TEST_POSTGRES (source .ci/postgres.sh) to run the PostgreSQL benchmarks.");
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
        var options = new PostgresStoreOptions { Schema = _schema };
        _clients = [];
        for (var i = 0; i < Clients; i++)
        {
            var store = new PostgresReservationStore(_dataSource, options);
            var agent = AgentId.Parse($"bench-{i}");
            await store.RegisterAgentAsync(agent);
            _clients.Add((store, new ReservationRequest(agent, ScopePattern.Parse($"src/client{i}/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5))));
        }
    }

    [Benchmark(OperationsPerInvoke = RoundTripsPerClient)]
    public Task ReserveRelease() => Task.WhenAll(_clients.Select(async client =>
    {
        for (var i = 0; i < RoundTripsPerClient; i++)
        {
            var clock = Stopwatch.StartNew();
            var held = await client.Store.ReserveAsync(client.Request);
            await held.DisposeAsync();
            _latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
    }));

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        var sorted = _latencies.Order().ToList();
        if (sorted.Count > 0)
        {
            var p99 = sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * 0.99) - 1)];
            Console.WriteLine($"// PostgresBenchmarks Clients={Clients}: {sorted.Count} round trips, p50 {sorted[sorted.Count / 2]:F1} ms, p99 {p99:F1} ms");
        }

        _latencies.Clear();
        foreach (var (store, _) in _clients)
        {
            await store.DisposeAsync();
        }

        await using (var command = _dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE"))
        {
            await command.ExecuteNonQueryAsync();
        }

        await _dataSource.DisposeAsync();
    }
}
