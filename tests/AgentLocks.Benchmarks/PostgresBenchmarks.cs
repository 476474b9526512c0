using System.Collections.Concurrent;
using System.Diagnostics;
using AgentLocks.Postgres;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Medallion.Threading.Postgres;
using Npgsql;

namespace AgentLocks.Benchmarks;

/// <summary>
/// Reserve+release round trips against a real PostgreSQL with 1, 8 and 32 concurrent clients, beside what the same
/// server does without the store: the raw two-commit floor (per client, an INSERT committed then a DELETE
/// committed, prepared, on a connection of its own) and DistributedLock.Postgres (acquire+release of a session
/// advisory lock, a peer in this benchmark only). Each client of the store is its own store on the connection
/// string, as one agent process would be. <c>Disjoint</c>: every client on its own scope; <c>HotWaiting</c>:
/// every client on one scope, waiting its turn; <c>HotRetrying</c>: the same, retrying each refusal at once.
/// One invocation is every client doing <see cref="RoundTripsPerClient"/> round trips, at least
/// <see cref="RoundTripsPerRound"/> in all (on the hot scope <see cref="HotRoundTripsPerRound"/> in all, so compare
/// the printed rates, not the means); at the end of each case the round trips per second (over every invocation),
/// the p50/p99 of one round trip and the refusals per second are printed as a line starting with <c>// pg</c>. Needs a server: <c>source .ci/postgres.sh</c>, then
/// <c>dotnet run -c Release --project tests/AgentLocks.Benchmarks -- --filter '*PostgresBenchmarks*'</c>.
/// </summary>
[Config(typeof(Config))]
public class PostgresBenchmarks
{
    private const int RoundTripsPerClient = 20;

    /// <summary>
    /// At least this many round trips per round, so a case with few clients is not mostly its first, cold ones.
    /// </summary>
    private const int RoundTripsPerRound = 100;

    /// <summary>
    /// On one hot scope a round is as long as all clients' turns, so there this is the whole round: long enough (a
    /// second or so) that the ratio of 32 clients' grants to one client's does not move with a single slow turn.
    /// </summary>
    private const int HotRoundTripsPerRound = 320;
    private static readonly TimeSpan ShortestWarmUp = TimeSpan.FromSeconds(3);
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly List<Func<Task>> _clients = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private string _connectionString = null!;
    private string _schema = null!;
    private long _refusals;
    private int _roundTrips;
    private TimeSpan _elapsed;

    [Params(1, 8, 32)]
    public int Clients { get; set; }

    [GlobalSetup(Targets = [nameof(Floor)])]
    public async Task SetupFloorAsync()
    {
        await CreateSchemaAsync();
        await ExecuteAsync($"CREATE TABLE \"{_schema}\".floor (id integer PRIMARY KEY)");
        for (var i = 0; i < Clients; i++)
        {
            var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            _owned.Add(connection);
            var insert = new NpgsqlCommand($"INSERT INTO \"{_schema}\".floor (id) VALUES ($1)", connection) { Parameters = { new() { Value = i } } };
            var delete = new NpgsqlCommand($"DELETE FROM \"{_schema}\".floor WHERE id = $1", connection) { Parameters = { new() { Value = i } } };
            await insert.PrepareAsync();
            await delete.PrepareAsync();
            _clients.Add(async () =>
            {
                await insert.ExecuteNonQueryAsync();
                await delete.ExecuteNonQueryAsync();
            });
        }

        await WarmUpAsync();
    }

    [GlobalSetup(Targets = [nameof(DistributedLockPeer)])]
    public async Task SetupPeerAsync()
    {
        await CreateSchemaAsync();
        for (var i = 0; i < Clients; i++)
        {
            var peer = new PostgresDistributedLock(new PostgresAdvisoryLockKey($"{_schema}-{i}", allowHashing: true), _connectionString);
            _clients.Add(async () =>
            {
                await using var handle = await peer.AcquireAsync();
            });
        }

        await WarmUpAsync();
    }

    [GlobalSetup(Targets = [nameof(Disjoint)])]
    public Task SetupDisjointAsync() => SetupStoresAsync(i => $"src/client{i}/**", wait: false, hot: false);

    [GlobalSetup(Targets = [nameof(HotWaiting)])]
    public Task SetupHotWaitingAsync() => SetupStoresAsync(_ => "src/hot/**", wait: true, hot: true);

    [GlobalSetup(Targets = [nameof(HotRetrying)])]
    public Task SetupHotRetryingAsync() => SetupStoresAsync(_ => "src/hot/**", wait: false, hot: true);

    [Benchmark(Baseline = true)]
    public Task Floor() => RunAsync();

    [Benchmark]
    public Task DistributedLockPeer() => RunAsync();

    [Benchmark]
    public Task Disjoint() => RunAsync();

    [Benchmark]
    public Task HotWaiting() => RunAsync();

    [Benchmark]
    public Task HotRetrying() => RunAsync();

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        var sorted = _latencies.Order().ToList();
        if (sorted.Count > 0)
        {
            var p99 = sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * 0.99) - 1)];
            Console.WriteLine($"// pg clients={Clients}: {sorted.Count} round trips, {sorted.Count / _elapsed.TotalSeconds:F0}/s, "
                + $"p50 {sorted[sorted.Count / 2]:F1} ms, p99 {p99:F1} ms, refusals {_refusals / _elapsed.TotalSeconds:F0}/s");
        }

        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
    }

    /// <summary>
    /// Each iteration one invocation (a round of seconds), in this process: a generated project would be built
    /// first, which takes minutes on a loaded machine.
    /// </summary>
    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1)
            .WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance));
    }

    private async Task SetupStoresAsync(Func<int, string> scope, bool wait, bool hot)
    {
        await CreateSchemaAsync();
        if (hot)
        {
            _roundTrips = Math.Max(1, HotRoundTripsPerRound / Clients);
        }
        var options = new PostgresStoreOptions { Schema = _schema };
        for (var i = 0; i < Clients; i++)
        {
            var store = new PostgresReservationStore(_connectionString, options);
            _owned.Add(store);
            var agent = AgentId.Parse($"bench-{i}");
            await store.RegisterAgentAsync(agent);
            var request = new ReservationRequest(agent, ScopePattern.Parse(scope(i)), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5))
            {
                Wait = wait ? Timeout.InfiniteTimeSpan : TimeSpan.Zero,
            };
            _clients.Add(async () =>
            {
                while (true)
                {
                    var result = await store.TryReserveAsync(request);
                    if (result.Succeeded)
                    {
                        await result.Handle.DisposeAsync();
                        return;
                    }

                    Interlocked.Increment(ref _refusals);
                }
            });
        }

        await WarmUpAsync();
    }

    /// <summary>
    /// Every client runs before anything is measured, until the JIT has been quiet for half a second (and 3 s at
    /// least), so the cases compare steady states: without a warm-up the first case of the store at each client count
    /// measured mostly the JIT (31% of the benchmark process's CPU samples under <c>perf</c>, against 13% in the code it
    /// compiled) and unoptimised first-tier code.
    /// </summary>
    private async Task WarmUpAsync()
    {
        var wall = Stopwatch.StartNew();
        await Taker.WarmUp.UntilTheJitIsQuietAsync(async () =>
        {
            do
            {
                await Task.WhenAll(_clients.Select(client => client()));
            }
            while (wall.Elapsed < ShortestWarmUp);
        }, atLeast: 30);
        _refusals = 0;
    }

    private async Task RunAsync()
    {
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(_clients.Select(async client =>
        {
            for (var i = 0; i < _roundTrips; i++)
            {
                var clock = Stopwatch.StartNew();
                await client();
                _latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
        }));
        _elapsed += wall.Elapsed;
    }

    private async Task CreateSchemaAsync()
    {
        _connectionString = Environment.GetEnvironmentVariable("AGENTLOCKS_TEST_POSTGRES")
            ?? throw new InvalidOperationException("Set AGENTLOCKS_TEST_POSTGRES (source .ci/postgres.sh) to run the PostgreSQL benchmarks.");
        _schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
        _roundTrips = Math.Max(RoundTripsPerClient, RoundTripsPerRound / Clients);
        await ExecuteAsync($"CREATE SCHEMA \"{_schema}\"");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
