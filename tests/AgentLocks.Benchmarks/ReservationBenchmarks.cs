using System.Diagnostics;
using System.Text.Json;
using BenchmarkDotNet.Attributes;

namespace AgentLocks.Benchmarks;

/// <summary>
/// The file store: one reserve+release round trip (each a durable, atomic write under beadboard's mutex) in a root
/// holding 0, 100 or 1,000 other active reservations; by one taker process, and by 8 taker processes contending for
/// the same mutex on disjoint scopes. Both run 80 round trips per invocation in real child processes, so the mean is
/// wall time per round trip and 1/mean the store's throughput, measured the same way for both. Beside
/// them, the floor of the same disk: one write+fsync+rename of a small file, and the same with the directory's fsync
/// that makes the rename itself durable.
/// Run: <c>dotnet run -c Release --project tests/AgentLocks.Benchmarks -- --filter '*ReservationBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class ReservationBenchmarks
{
    private const int RoundTripsPerProcess = 10;
    private const int Processes = 8;
    private static readonly byte[] FloorPayload = new byte[400]; // about one reservation in active.json

    private string _root = null!;
    private List<Process> _takers = [];

    [Params(0, 100, 1_000)]
    public int Active { get; set; }

    [GlobalSetup(Targets = [nameof(Floor), nameof(DurableFloor)])]
    public void SetupFloor()
    {
        // The system temp directory, as the store's root below: the floor and the store share one disk.
        _root = Path.Combine(Path.GetTempPath(), "agentlocks-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [GlobalSetup(Target = nameof(OneProcess))]
    public Task SetupOneAsync() => StartTakersAsync(1);

    [GlobalSetup(Target = nameof(EightProcesses))]
    public Task SetupEightAsync() => StartTakersAsync(Processes);

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var taker in _takers)
        {
            taker.Kill();
            taker.WaitForExit();
            taker.Dispose();
        }

        _takers = [];
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "floor: write+fsync+rename")]
    public void Floor() => WriteFsyncRename(syncDirectory: false);

    [Benchmark(Description = "floor + directory fsync")]
    public void DurableFloor() => WriteFsyncRename(syncDirectory: true);

    [Benchmark(Description = "reserve+release, 1 process", OperationsPerInvoke = Processes * RoundTripsPerProcess)]
    public Task OneProcess() => RunTakersAsync(Processes * RoundTripsPerProcess);

    [Benchmark(Description = "reserve+release, 8 processes", OperationsPerInvoke = Processes * RoundTripsPerProcess)]
    public Task EightProcesses() => RunTakersAsync(RoundTripsPerProcess);

    /// <summary>Every taker does <paramref name="roundTrips"/> round trips on its own scope, all at once; returns when all are done.</summary>
    private async Task RunTakersAsync(int roundTrips)
    {
        foreach (var taker in _takers)
        {
            await taker.StandardInput.WriteLineAsync($"run {roundTrips}");
        }

        foreach (var taker in _takers)
        {
            await ExpectAsync(taker, $"done {roundTrips}");
        }
    }

    /// <summary>A root with <see cref="Active"/> other live reservations, and <paramref name="count"/> warm takers on it.</summary>
    private async Task StartTakersAsync(int count)
    {
        SetupFloor();
        var store = new FileReservationStore(_root);
        await FillAsync(store);
        _takers = [];
        for (var i = 0; i < count; i++)
        {
            var agent = $"taker-{i}";
            await store.RegisterAgentAsync(AgentId.Parse(agent));
            _takers.Add(StartTaker("loop", _root, agent, $"src/taker{i}/**", "bd-2"));
        }

        foreach (var taker in _takers)
        {
            await ExpectAsync(taker, "ready");
        }
    }

    /// <summary>The floor as the store writes: a new file, its bytes, fsync, rename over the old one (and the directory's fsync).</summary>
    private void WriteFsyncRename(bool syncDirectory)
    {
        var path = Path.Combine(_root, "floor.json");
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(FloorPayload);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        if (syncDirectory)
        {
            Native.FsyncDirectory(_root);
        }
    }

    /// <summary>Other agents' live reservations on disjoint scopes, written as the store writes them.</summary>
    private async Task FillAsync(FileReservationStore store)
    {
        var filler = AgentId.Parse("filler");
        await store.RegisterAgentAsync(filler);
        var now = DateTimeOffset.UtcNow;
        var active = new ActiveFile
        {
            Reservations = [.. Enumerable.Range(0, Active).Select(i => new Reservation
            {
                Id = ReservationId.New(now),
                Scope = ScopePattern.Parse($"lib/module{i}/**"),
                AgentId = filler,
                BeadId = BeadId.Parse("bd-9"),
                State = ReservationState.Active,
                CreatedAt = now,
                ExpiresAt = now.AddDays(1),
                FencingToken = new FencingToken(i + 1),
            })],
            LastFencingToken = Active,
        };
        Directory.CreateDirectory(Path.Combine(_root, "reservations"));
        await File.WriteAllBytesAsync(Path.Combine(_root, "reservations", "active.json"), active.ToBytes());
    }

    private static Process StartTaker(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(TakerPath());
        start.ArgumentList.Add("reserve");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private static async Task ExpectAsync(Process taker, string line)
    {
        var read = await taker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (read != line)
        {
            throw new InvalidOperationException($"The taker said '{read}', expected '{line}'.");
        }
    }

    /// <summary>
    /// The taker is built (Release) by this project's reference to it, beside this project under tests/. BenchmarkDotNet
    /// runs from a generated project below this one's output, so look upward for the sibling.
    /// </summary>
    private static string TakerPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "AgentLocks.Taker", "bin", "Release", "net10.0", "AgentLocks.Taker.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("AgentLocks.Taker.dll (Release) was not found above " + AppContext.BaseDirectory);
    }
}
