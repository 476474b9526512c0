using System.Diagnostics;
using System.Globalization;

using AgentLocks.Taker;

namespace AgentLocks.Benchmarks;

/// <summary>
/// The file store beside its floor, in one run so both meet the same load. For a root holding 0, 100 and 1,000 other
/// live reservations:
/// <list type="bullet">
/// <item>In process, alternating: the floor (one durable write of a file the size of <c>active.json</c>: write, fsync,
/// rename, fsync of the directory) and one reserve+release round trip; the medians and their ratio.</item>
/// <item>Real taker processes on disjoint scopes, 1 and then 8 at once, each doing its round trips back to back:
/// total round trips per second, p50 and p99 of one round trip, and how many failed with <c>LOCKED</c>.</item>
/// </list>
/// Run: <c>dotnet run -c Release --project tests/AgentLocks.Benchmarks -- file-store [ROUNDS] [--in-process]</c> (ROUNDS per
/// cell and per process, 200 by default; <c>--in-process</c> leaves out the taker processes).
/// </summary>
public static class ReservationBenchmarks
{
    private const int Processes = 8;

    public static async Task RunAsync(int rounds, bool processes, TextWriter output)
    {
        output.WriteLine($"file store, {rounds} rounds per cell, load average {LoadAverage()}");
        output.WriteLine("active | active.json | floor p50 | round trip p50 | ratio | round trip p99 | CPU per round trip | 1 process: /s, p50, p99, LOCKED | 8 processes: /s, p50, p99, LOCKED | 8 ÷ 1");
        foreach (var active in new[] { 0, 100, 1_000 })
        {
            var root = Path.Combine(Path.GetTempPath(), "agentlocks-bench", Guid.NewGuid().ToString("N"));
            try
            {
                var (size, floor, roundTrip, cpu, floorCpu) = await InProcessAsync(root, active, rounds);
                var row = string.Create(CultureInfo.InvariantCulture,
                    $"{active,6} | {size / 1024.0,8:0.0} KB | {Median(floor),6:0.00} ms | {Median(roundTrip),6:0.00} ms | {Median(roundTrip) / Median(floor),4:0.00}x | {Percentile(roundTrip, 0.99),6:0.00} ms | {cpu,6:0.00} ms ({cpu / floorCpu:0.0}x the floor's)");
                if (processes)
                {
                    var one = await TakersAsync(root, 1, rounds);
                    var eight = await TakersAsync(root, Processes, rounds);
                    row += string.Create(CultureInfo.InvariantCulture, $" | {one} | {eight} | {eight.PerSecond / one.PerSecond:0.00}x");
                }

                output.WriteLine(row);
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        }

        output.WriteLine($"load average after: {LoadAverage()}");
    }

    /// <summary>
    /// Floor and round trip, alternating, in this process; returns active.json's size, both series in ms, and the CPU
    /// time of a round trip and of the floor (this process's, kernel included; less moved by other processes' load).
    /// </summary>
    private static async Task<(long Size, List<double> Floor, List<double> RoundTrip, double Cpu, double FloorCpu)> InProcessAsync(string root, int active, int rounds)
    {
        var store = new FileReservationStore(root);
        await FillAsync(store, root, active);
        var agent = AgentId.Parse("bench-library");
        await store.RegisterAgentAsync(agent);
        var request = new ReservationRequest(agent, ScopePattern.Parse("src/library/**"), BeadId.Parse("bd-1"));
        var activePath = Path.Combine(root, "reservations", "active.json");
        await WarmUp.UntilTheJitIsQuietAsync(() => RoundTripAsync(store, request), atLeast: 30);

        var size = new FileInfo(activePath).Length;
        var payload = new byte[size];
        var floorDirectory = Path.Combine(root, "floor");
        Directory.CreateDirectory(floorDirectory);
        List<double> floor = [], roundTrip = [];
        TimeSpan cpu = TimeSpan.Zero, floorCpu = TimeSpan.Zero;
        for (var i = 0; i < rounds; i++)
        {
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            DurableWrite(floorDirectory, payload);
            floor.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            floorCpu += Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            started = Stopwatch.GetTimestamp();
            await RoundTripAsync(store, request);
            roundTrip.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            cpu += Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        }

        return (size, floor, roundTrip, cpu.TotalMilliseconds / rounds, floorCpu.TotalMilliseconds / rounds);
    }

    private static async Task RoundTripAsync(FileReservationStore store, ReservationRequest request)
    {
        LeftHeld.OnPurpose(await store.ReserveAsync(request)); // released through the store, as the takers do
        await store.ReleaseAsync(request.Agent, request.Scope);
    }

    /// <summary>The floor: a new file, its bytes, fsync, rename over the old one, fsync of the directory.</summary>
    private static void DurableWrite(string directory, byte[] payload)
    {
        var path = Path.Combine(directory, "floor.json");
        using (var stream = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(payload);
            stream.Flush(flushToDisk: true);
        }

        File.Move(path + ".tmp", path, overwrite: true);
        Native.FsyncDirectory(directory);
    }

    /// <summary><paramref name="count"/> warm taker processes on disjoint scopes, released at once, each doing <paramref name="rounds"/> round trips.</summary>
    private static async Task<TakerRow> TakersAsync(string root, int count, int rounds)
    {
        var store = new FileReservationStore(root);
        List<Process> takers = [];
        try
        {
            for (var i = 0; i < count; i++)
            {
                var agent = $"taker-{i}";
                await store.RegisterAgentAsync(AgentId.Parse(agent));
                takers.Add(StartTaker("loop", root, agent, $"src/taker{i}/**", "bd-2"));
            }

            foreach (var taker in takers)
            {
                await ExpectAsync(taker, "ready");
            }

            var started = Stopwatch.GetTimestamp();
            foreach (var taker in takers)
            {
                await taker.StandardInput.WriteLineAsync($"run {rounds}");
            }

            List<double> times = [];
            var locked = 0;
            foreach (var taker in takers)
            {
                // "done LOCKED t1 t2 ...": the LOCKED count, then each round trip's time in microseconds.
                var fields = (await ExpectAsync(taker, "done")).Split(' ');
                locked += int.Parse(fields[1], CultureInfo.InvariantCulture);
                times.AddRange(fields.Skip(2).Select(t => double.Parse(t, CultureInfo.InvariantCulture) / 1000));
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return new TakerRow(times.Count / seconds, Median(times), Percentile(times, 0.99), locked);
        }
        finally
        {
            foreach (var taker in takers)
            {
                taker.StandardInput.Close();
                await taker.WaitForExitAsync();
                taker.Dispose();
            }
        }
    }

    /// <summary>Other agents' live reservations on disjoint scopes, written as the store writes them.</summary>
    private static async Task FillAsync(FileReservationStore store, string root, int count)
    {
        var filler = AgentId.Parse("filler");
        await store.RegisterAgentAsync(filler);
        var now = DateTimeOffset.UtcNow;
        var active = new ActiveFile
        {
            Reservations = [.. Enumerable.Range(0, count).Select(i => new Reservation
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
            LastFencingToken = count,
        };
        Directory.CreateDirectory(Path.Combine(root, "reservations"));
        await File.WriteAllBytesAsync(Path.Combine(root, "reservations", "active.json"), active.ToBytes());
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

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

    /// <summary>The taker's next line, which must start with <paramref name="expected"/>.</summary>
    private static async Task<string> ExpectAsync(Process taker, string expected)
    {
        var read = await taker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return read is not null && (read == expected || read.StartsWith(expected + " ", StringComparison.Ordinal))
            ? read
            : throw new InvalidOperationException($"The taker said '{read}', expected '{expected}'.");
    }

    /// <summary>The taker is built (Release) by this project's reference to it, beside this project under tests/.</summary>
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

    /// <summary>One row of taker processes: total round trips per second, p50 and p99 in ms, and the LOCKED failures.</summary>
    private sealed record TakerRow(double PerSecond, double P50, double P99, int Locked)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{PerSecond,6:0}/s {P50,6:0.00} {P99,6:0.00} ms {Locked} LOCKED");
    }
}
