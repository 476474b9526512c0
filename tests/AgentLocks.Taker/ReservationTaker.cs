namespace AgentLocks.Taker;

/// <summary>
/// The reservation side of the taker. Protocol (one line each way):
/// <list type="bullet">
/// <item><c>reserve serve ROOT AGENT SCOPE BEAD</c>: prints <c>ready</c>, then per stdin line <c>try N</c> prints
/// <c>granted N TOKEN</c> or <c>refused N CODE</c> (keeping the handle), per <c>wait N</c> the same after waiting as
/// long as it takes (<see cref="ReservationRequest.Wait"/>; <c>waiting</c> first when it has to wait), and per
/// <c>release</c> prints <c>released</c>.</item>
/// <item><c>reserve hold-mutex ROOT</c>: takes <c>reservations/.lock</c>, prints <c>in line N</c> once it has its
/// number in the mutex's line, then <c>holding</c>, and holds it until killed.</item>
/// <item><c>reserve loop ROOT AGENT SCOPE BEAD</c>: prints <c>ready</c>, then per stdin line <c>run N</c> does N
/// reserve+release round trips and prints <c>done LOCKED T1 T2 ...</c>: how many failed with <c>LOCKED</c>, then each
/// round trip's time in microseconds (the benchmarks' contending processes).</item>
/// <item><c>reserve timed ROOT AGENT SCOPE BEAD ROUNDS</c>: with the default mutex timeout, ROUNDS reserve+release
/// round trips, each timed; prints <c>timed ok=N locked=L lost=X p50=MS p99=MS max=MS</c> (lost: a release that found its
/// reservation gone).</item>
/// <item><c>reserve crash-at POINT ROOT AGENT SCOPE BEAD</c>: reserves, stopping at the commit's fault point POINT
/// (<c>history-appended</c>: the history line is written, active.json is not; <c>directory-unsynced</c>: active.json is
/// renamed and the mutex let go, the rename not yet synced); prints <c>paused</c> there and waits to be killed.</item>
/// </list>
/// </summary>
internal static class ReservationTaker
{
    public static async Task<int> RunAsync(string[] args)
    {
        switch (args)
        {
            case ["serve", var root, var agent, var scope, var bead]:
                // A generous mutex timeout: sixteen cold processes on a busy two-core machine are slow, not stuck.
                var store = new FileReservationStore(root, new ReservationStoreOptions { LockTimeout = TimeSpan.FromSeconds(60) });
                await ServeAsync(store, new ReservationRequest(AgentId.Parse(agent), ScopePattern.Parse(scope), BeadId.Parse(bead)));
                return 0;
            case ["loop", var root, var agent, var scope, var bead]:
                await LoopAsync(
                    new FileReservationStore(root, new ReservationStoreOptions { LockTimeout = TimeSpan.FromSeconds(60) }),
                    new ReservationRequest(AgentId.Parse(agent), ScopePattern.Parse(scope), BeadId.Parse(bead), TimeSpan.FromMinutes(5)));
                return 0;
            case ["timed", var root, var agent, var scope, var bead, var rounds]:
                await TimedAsync(new FileReservationStore(root), new ReservationRequest(AgentId.Parse(agent), ScopePattern.Parse(scope), BeadId.Parse(bead), TimeSpan.FromMinutes(5)), int.Parse(rounds, System.Globalization.CultureInfo.InvariantCulture));
                return 0;
            case ["crash-at", var at, var root, var agent, var scope, var bead]:
                QueueRelease.Kept = false; // no beadboard window: the commit is always handed over, so every point is met
                FileReservationPersistence.FaultPoint = (point, _) =>
                {
                    if (point == at)
                    {
                        Console.WriteLine("paused");
                        Thread.Sleep(Timeout.Infinite); // held here, in the middle of the commit, until the test kills the process
                    }
                };
                // Never returns: the fault point pauses the process in the middle of the write, to be killed there.
                LeftHeld.OnPurpose(await new FileReservationStore(root).ReserveAsync(new ReservationRequest(AgentId.Parse(agent), ScopePattern.Parse(scope), BeadId.Parse(bead))));
                return 0;
            case ["grants", var root, var agent, var prefix, var bead]:
                await GrantsAsync(new FileReservationStore(root, new ReservationStoreOptions { LockTimeout = TimeSpan.FromSeconds(60) }), AgentId.Parse(agent), prefix, BeadId.Parse(bead));
                return 0;
            case ["hold-mutex", var root]:
                var directory = Path.Combine(root, "reservations");
                Directory.CreateDirectory(directory);
                QueueTicket.InLine = (_, number) => Console.WriteLine($"in line {number}");
                using (await StoreMutex.AcquireAsync(Path.Combine(directory, ".lock"), TimeSpan.FromSeconds(30), CancellationToken.None))
                {
                    Console.WriteLine("holding");
                    await Task.Delay(Timeout.Infinite);
                }

                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: reserve serve|loop ROOT AGENT SCOPE BEAD | reserve crash-at POINT ROOT AGENT SCOPE BEAD | reserve timed ROOT AGENT SCOPE BEAD ROUNDS | reserve grants ROOT AGENT PREFIX BEAD | reserve hold-mutex ROOT");
                return 2;
        }
    }

    private static async Task ServeAsync(FileReservationStore store, ReservationRequest request)
    {
        ReservationHandle? held = null;

        // Warm up (JIT, first file reads) before the rounds, so a round measures the race and not start-up.
        await store.GetStatusAsync();
        Console.WriteLine("ready");
        while (Console.ReadLine() is { } line)
        {
            switch (line.Split(' '))
            {
                case ["try", var round]:
                    var result = await store.TryReserveAsync(request);
                    held = result.Handle ?? held;
                    Console.WriteLine(result.Succeeded ? $"granted {round} {result.Handle.FencingToken}" : $"refused {round} {result.Error.Code.ToWireName()}");
                    break;
                case ["wait", var round]:
                    // The file store tries once before the call returns, so a call still running is a waiter.
                    var waiting = store.TryReserveAsync(request with { Wait = Timeout.InfiniteTimeSpan });
                    if (!waiting.IsCompleted)
                    {
                        Console.WriteLine("waiting");
                    }

                    var waited = await waiting;
                    held = waited.Handle ?? held;
                    Console.WriteLine(waited.Succeeded ? $"granted {round} {waited.Handle.FencingToken}" : $"refused {round} {waited.Error.Code.ToWireName()}");
                    break;
                case ["release"]:
                    if (held is not null)
                    {
                        await held.DisposeAsync();
                        held = null;
                    }

                    Console.WriteLine("released");
                    break;
            }
        }
    }

    private static async Task TimedAsync(FileReservationStore store, ReservationRequest request, int rounds)
    {
        List<double> times = [];
        int locked = 0, lost = 0;

        // Round -1 warms up (JIT, first file reads): counted, not timed.
        for (var i = -1; i < rounds; i++)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                LeftHeld.OnPurpose(await store.ReserveAsync(request)); // released through the store: the round timed
                await store.ReleaseAsync(request.Agent, request.Scope);
                if (i >= 0)
                {
                    times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
            catch (AgentLocksException e) when (e.Code == ErrorCode.Locked)
            {
                locked++;
            }
            catch (AgentLocksException e) when (e.Code == ErrorCode.ReservationNotFound)
            {
                lost++;
            }
        }

        times.Sort();
        double At(double q) => times.Count == 0 ? 0 : times[Math.Min(times.Count - 1, (int)(q * times.Count))];
        Console.WriteLine(System.FormattableString.Invariant($"timed ok={times.Count} locked={locked} lost={lost} p50={At(0.5):0.0} p99={At(0.99):0.0} max={At(1):0.0}"));
    }

    /// <summary>
    /// Reserves PREFIX/0, PREFIX/1, ... until killed, releasing each odd one once the next is granted; prints each
    /// success as it is reported ("granted S", "released S"), so a test that kills it knows what it was told.
    /// </summary>
    private static async Task GrantsAsync(FileReservationStore store, AgentId agent, string prefix, BeadId bead)
    {
        for (var i = 0; ; i++)
        {
            LeftHeld.OnPurpose(await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse($"{prefix}/{i}"), bead, TimeSpan.FromHours(1))));
            Console.WriteLine($"granted {prefix}/{i}");
            if (i % 2 == 0 && i > 0)
            {
                await store.ReleaseAsync(agent, ScopePattern.Parse($"{prefix}/{i - 1}"));
                Console.WriteLine($"released {prefix}/{i - 1}");
            }
        }
    }

    private static async Task LoopAsync(FileReservationStore store, ReservationRequest request)
    {
        await WarmUp.UntilTheJitIsQuietAsync(() => RoundTripAsync(store, request), atLeast: 100);
        Console.WriteLine("ready");
        while (Console.ReadLine() is { } line)
        {
            if (line.Split(' ') is ["run", var text] && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var count))
            {
                List<long> times = [];
                var locked = 0;
                for (var i = 0; i < count; i++)
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    try
                    {
                        await RoundTripAsync(store, request);
                        times.Add((long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                    }
                    catch (AgentLocksException e) when (e.Code == ErrorCode.Locked)
                    {
                        locked++;
                    }
                }

                Console.WriteLine($"done {locked} {string.Join(' ', times)}".TrimEnd());
            }
        }
    }

    /// <summary>A reserve, and a release through the store (as the in-process round trip of the benchmark).</summary>
    private static async Task RoundTripAsync(FileReservationStore store, ReservationRequest request)
    {
        LeftHeld.OnPurpose(await store.ReserveAsync(request));
        await store.ReleaseAsync(request.Agent, request.Scope);
    }
}
