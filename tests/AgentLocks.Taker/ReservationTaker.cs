namespace AgentLocks.Taker;

/// <summary>
/// The reservation side of the taker. Protocol (one line each way):
/// <list type="bullet">
/// <item><c>reserve serve ROOT AGENT SCOPE BEAD</c>: prints <c>ready</c>, then per stdin line <c>try N</c> prints
/// <c>granted N TOKEN</c> or <c>refused N CODE</c> (keeping the handle), per <c>wait N</c> the same after waiting as
/// long as it takes (<see cref="ReservationRequest.Wait"/>; <c>waiting</c> first when it has to wait), and per
/// <c>release</c> prints <c>released</c>.</item>
/// <item><c>reserve hold-mutex ROOT</c>: takes <c>reservations/.lock</c>, prints <c>holding</c>, and holds it until killed.</item>
/// <item><c>reserve loop ROOT AGENT SCOPE BEAD</c>: prints <c>ready</c>, then per stdin line <c>run N</c> does N
/// reserve+release round trips and prints <c>done N</c> (the benchmarks' contending processes).</item>
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
            case ["hold-mutex", var root]:
                var directory = Path.Combine(root, "reservations");
                Directory.CreateDirectory(directory);
                using (await StoreMutex.AcquireAsync(Path.Combine(directory, ".lock"), TimeSpan.FromSeconds(30), CancellationToken.None))
                {
                    Console.WriteLine("holding");
                    await Task.Delay(Timeout.Infinite);
                }

                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: reserve serve|loop ROOT AGENT SCOPE BEAD | reserve hold-mutex ROOT");
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

    private static async Task LoopAsync(FileReservationStore store, ReservationRequest request)
    {
        await (await store.ReserveAsync(request)).DisposeAsync(); // warm up: JIT and first file reads
        Console.WriteLine("ready");
        while (Console.ReadLine() is { } line)
        {
            if (line.Split(' ') is ["run", var text] && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var count))
            {
                for (var i = 0; i < count; i++)
                {
                    await (await store.ReserveAsync(request)).DisposeAsync();
                }

                Console.WriteLine($"done {count}");
            }
        }
    }
}
