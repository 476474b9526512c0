using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace AgentLocks.Benchmarks;

/// <summary>
/// An uncontended acquire+release of a worker identity lock, next to its floor: the durable replace of a small
/// file that every acquisition does once (write a temp file, fsync, rename, fsync the directory), in the same
/// kind of directory. Run: <c>dotnet run -c Release --project tests/AgentLocks.Benchmarks -- --filter '*IdentityLock*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class IdentityLockBenchmarks
{
    private static readonly byte[] Record = """{"pid": 4242, "acquired_at": "2026-11-23T18:53:14.3639807Z", "session_id": "gt-polecat-1", "hostname": "vm", "process_start_time": 123456, "boot_id": "00000000-0000-0000-0000-000000000000", "owner_token": "0123456789abcdef0123456789abcdef"}"""u8.ToArray();

    private string _root = null!;
    private string _floorDirectory = null!;
    private WorkerIdentityLock _lock = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("agentlocks-bench-").FullName;
        _floorDirectory = Directory.CreateDirectory(Path.Combine(_root, "floor", ".runtime")).FullName;
        _lock = new WorkerIdentityLock(Directory.CreateDirectory(Path.Combine(_root, "worker")).FullName);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    /// <summary>One durable small-file replace: create, write, fsync, rename over the old file, fsync the directory.</summary>
    [Benchmark(Baseline = true)]
    public void FsyncFloor()
    {
        var temp = Path.Combine(_floorDirectory, "agent.lock.tmp");
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            stream.Write(Record);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, Path.Combine(_floorDirectory, "agent.lock"), overwrite: true);
        Native.FsyncDirectory(_floorDirectory);
    }

    /// <summary><c>await using var held = await workerLock.AcquireAsync()</c> on a free worker, then its release.</summary>
    [Benchmark]
    public async Task AcquireRelease()
    {
        await using var held = await _lock.AcquireAsync();
    }
}

/// <summary>
/// Eight real processes (<c>AgentLocks.Taker lock loop</c>, started once and kept warm) contend for one worker,
/// each doing <see cref="CyclesPerProcess"/> acquire+release cycles per invocation, retrying at once while another
/// holds it. The mean is wall time per cycle across all processes (1/mean is the worker's throughput); the median
/// and p99 of one process's acquire+release, retries included, are printed at the end (the first invocation, which
/// warms the takers up, is left out). Run as <see cref="IdentityLockBenchmarks"/>.
/// </summary>
[MinColumn]
[MedianColumn]
public class ContendedIdentityLockBenchmarks
{
    private const int Processes = 8;
    private const int CyclesPerProcess = 25;
    private readonly List<double> _latencies = [];
    private readonly List<Process> _takers = [];
    private string _root = null!;
    private bool _warm;

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("agentlocks-bench-").FullName;
        var worker = Directory.CreateDirectory(Path.Combine(_root, "worker")).FullName;
        var taker = FindTaker();
        for (var i = 0; i < Processes; i++)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { taker, "lock", "loop", worker, CyclesPerProcess.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(arg);
            }

            _takers.Add(Process.Start(start)!);
        }

        foreach (var process in _takers)
        {
            Expect(process, "ready");
        }
    }

    [Benchmark(OperationsPerInvoke = Processes * CyclesPerProcess)]
    public void EightProcessesContend()
    {
        foreach (var taker in _takers)
        {
            taker.StandardInput.WriteLine("go");
            taker.StandardInput.Flush();
        }

        foreach (var taker in _takers)
        {
            var done = Expect(taker, "done ");
            if (_warm)
            {
                _latencies.AddRange(done["done ".Length..].Split(' ').Select(us => double.Parse(us, CultureInfo.InvariantCulture) / 1000));
            }
        }

        _warm = true;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var taker in _takers)
        {
            taker.StandardInput.Close();
            taker.WaitForExit();
            taker.Dispose();
        }

        _takers.Clear();
        var sorted = _latencies.Order().ToList();
        if (sorted.Count > 0)
        {
            var p99 = sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * 0.99) - 1)];
            Console.WriteLine($"// ContendedIdentityLockBenchmarks: {sorted.Count} acquire+release cycles by {Processes} processes, median {sorted[sorted.Count / 2]:F2} ms, p99 {p99:F2} ms");
        }

        _latencies.Clear();
        _warm = false;
        Directory.Delete(_root, recursive: true);
    }

    private static string Expect(Process taker, string prefix)
    {
        var line = taker.StandardOutput.ReadLine();
        return line is not null && line.StartsWith(prefix, StringComparison.Ordinal)
            ? line
            : throw new InvalidOperationException($"The taker {taker.Id} answered '{line}', expected '{prefix}...'.");
    }

    /// <summary>The taker's dll, built beside this project: look upwards for <c>tests/AgentLocks.Taker</c>, take its newest build.</summary>
    private static string FindTaker()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var project = Path.Combine(directory.FullName, "AgentLocks.Taker", "bin");
            if (Directory.Exists(project))
            {
                return new DirectoryInfo(project).EnumerateFiles("AgentLocks.Taker.dll", SearchOption.AllDirectories)
                    .OrderByDescending(f => f.LastWriteTimeUtc)
                    .FirstOrDefault()?.FullName
                    ?? throw new FileNotFoundException("Build tests/AgentLocks.Taker first.");
            }
        }

        throw new DirectoryNotFoundException("tests/AgentLocks.Taker was not found above " + AppContext.BaseDirectory);
    }
}
