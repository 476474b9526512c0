using System.Diagnostics;
using System.Runtime;

namespace AgentLocks.Taker;

/// <summary>
/// Warm-up for the benchmarks' measured calls (the taker's and the benchmark's own): the JIT compiles a method at a
/// first tier, then again in the background once it is called often, and again with profile-guided optimization;
/// those compilations take a core, and on two cores a holder of the store mutex that loses its core to them holds up
/// every process waiting behind it. So a measurement starts only once the JIT has been quiet for a while.
/// </summary>
internal static class WarmUp
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(20);

    /// <summary>Repeats <paramref name="call"/> at least <paramref name="atLeast"/> times, until no method has been compiled for half a second (20 s at most).</summary>
    public static async Task UntilTheJitIsQuietAsync(Func<Task> call, int atLeast)
    {
        var started = Stopwatch.GetTimestamp();
        var quietSince = started;
        var compiled = JitInfo.GetCompiledMethodCount();
        for (var i = 0; Stopwatch.GetElapsedTime(started) < Longest; i++)
        {
            await call();
            if (JitInfo.GetCompiledMethodCount() is var now && now != compiled)
            {
                compiled = now;
                quietSince = Stopwatch.GetTimestamp();
            }
            else if (i >= atLeast && Stopwatch.GetElapsedTime(quietSince) > Quiet)
            {
                return;
            }
        }
    }
}
