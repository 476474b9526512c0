using System.Diagnostics;

namespace AgentSwarm.Tests;

/// <summary>Runs the real sample (orchestrator and agent processes, file store, SIGKILL) with a small swarm.</summary>
public sealed class SwarmRunTests
{
    [Fact]
    public async Task A_small_swarm_with_a_kill_keeps_the_invariant_and_exits_0()
    {
        var run = Path.Combine(Path.GetTempPath(), "agentswarm-test-" + Guid.NewGuid().ToString("N")[..8]);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "AgentSwarm.dll"), "--agents", "3", "--rounds", "6", "--lease-seconds", "4", "--dir", run })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        var output = await stdout + await stderr;

        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("invariant: OK", output, StringComparison.Ordinal);
        // The kill happened, and the restarted agent took over its predecessor's identity lock as stale.
        Assert.Contains("!! kill -9", output, StringComparison.Ordinal);
        Assert.Matches(@"took its worker identity lock \(took over the stale lock of pid \d+", output);
        // Seven-column summary with a total row: three agents, four processes (one restarted).
        Assert.Matches(@"total\s+4\s", output);
        Assert.False(Directory.Exists(run), "a successful run removes its directory");
    }
}
