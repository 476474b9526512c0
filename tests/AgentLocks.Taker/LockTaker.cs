using System.Diagnostics;
using System.Globalization;

namespace AgentLocks.Taker;

/// <summary>
/// Identity-lock commands for cross-process tests and benchmarks:
/// <c>lock acquire DIR [--pid N] [--session S] [--host H] [--gate]</c> prints <c>acquired</c> (with
/// <c>took-over PID</c> when it replaced a stale lock) or <c>refused CODE</c>, and then holds the lock until stdin
/// closes or the process is killed (<c>--gate</c>: print <c>ready</c> and wait for one line first, so a test can
/// start many takers and release them at once);
/// <c>lock race DIR ROUNDS</c> does ROUNDS of: print <c>ready</c>, wait for a line, try once and print
/// <c>acquired</c> or <c>refused LOCKED</c>, wait for a line, release;
/// <c>lock loop DIR COUNT</c> prints <c>ready</c>; then for each line it reads, acquires and releases COUNT times,
/// retrying while held, and prints <c>done</c> and each cycle's latency in microseconds; it exits when stdin closes;
/// <c>lock force-release DIR</c> removes anyone's lock and prints <c>removed PID</c> or <c>none</c>.
/// </summary>
internal static class LockTaker
{
    public static async Task<int> RunAsync(string[] args)
    {
        switch (args)
        {
            case ["acquire", var dir, .. var options]:
                return await AcquireAsync(dir, options);
            case ["race", var dir, var rounds]:
                return await RaceAsync(dir, int.Parse(rounds, CultureInfo.InvariantCulture));
            case ["loop", var dir, var count]:
                return await LoopAsync(dir, int.Parse(count, CultureInfo.InvariantCulture));
            case ["force-release", var dir]:
                var removed = await new WorkerIdentityLock(dir).ForceReleaseAsync();
                Console.WriteLine(removed?.Holder is { } holder ? $"removed {holder.Pid}" : "none");
                return 0;
            default:
                Console.Error.WriteLine("usage: lock acquire DIR [--pid N] [--session S] [--host H] [--gate] | lock race DIR ROUNDS | lock loop DIR COUNT | lock force-release DIR");
                return 2;
        }
    }

    private static async Task<int> AcquireAsync(string dir, string[] options)
    {
        string? Option(string name)
        {
            var i = Array.IndexOf(options, name);
            return i >= 0 && i + 1 < options.Length ? options[i + 1] : null;
        }

        var request = new WorkerLockRequest
        {
            HolderPid = Option("--pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : null,
            Session = Option("--session") is { } session ? SessionId.Parse(session) : null,
            HostName = Option("--host"),
        };
        if (options.Contains("--gate"))
        {
            Console.WriteLine("ready");
            Console.Out.Flush();
            if (Console.In.ReadLine() is null)
            {
                return 0;
            }
        }

        WorkerLockHandle? held;
        try
        {
            held = await new WorkerIdentityLock(dir).TryAcquireAsync(request);
        }
        catch (AgentLocksException e)
        {
            Console.WriteLine("refused " + e.Code.ToWireName());
            return 3;
        }

        if (held is null)
        {
            Console.WriteLine("refused LOCKED");
            return 3;
        }

        await using (held)
        {
            Console.WriteLine(held.TookOver is { Holder: { } old } ? $"acquired took-over {old.Pid}" : "acquired");
            Console.Out.Flush();
            await Console.In.ReadToEndAsync();
        }

        return 0;
    }

    private static async Task<int> RaceAsync(string dir, int rounds)
    {
        var workerLock = new WorkerIdentityLock(dir);
        for (var round = 0; round < rounds; round++)
        {
            Console.WriteLine("ready");
            Console.Out.Flush();
            if (Console.In.ReadLine() is null)
            {
                return 0;
            }

            await using var held = await workerLock.TryAcquireAsync();
            Console.WriteLine(held is null ? "refused LOCKED" : "acquired");
            Console.Out.Flush();
            if (Console.In.ReadLine() is null)
            {
                return 0;
            }
        }

        return 0;
    }

    private static async Task<int> LoopAsync(string dir, int count)
    {
        var workerLock = new WorkerIdentityLock(dir);
        Console.WriteLine("ready");
        Console.Out.Flush();
        var latencies = new List<long>(count);
        while (Console.In.ReadLine() is not null)
        {
            latencies.Clear();
            for (var i = 0; i < count; i++)
            {
                var start = Stopwatch.GetTimestamp();
                WorkerLockHandle? held;
                while ((held = await workerLock.TryAcquireAsync()) is null)
                {
                    // Held by another taker: try again at once; the flock serialises the attempts.
                }

                await held.DisposeAsync();
                latencies.Add((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }

            Console.WriteLine("done " + string.Join(' ', latencies));
            Console.Out.Flush();
        }

        return 0;
    }
}
