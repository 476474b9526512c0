using System.Diagnostics;
using System.Text.RegularExpressions;
using Npgsql;

namespace AgentSwarm.Tests;

/// <summary>Runs the real sample (orchestrator and agent processes, SIGKILL) with a small swarm, on each backend.</summary>
public sealed class SwarmRunTests
{
    [Fact]
    public async Task A_small_swarm_with_a_kill_keeps_the_invariant_and_exits_0()
    {
        var run = Path.Combine(Path.GetTempPath(), "agentswarm-test-" + Guid.NewGuid().ToString("N")[..8]);

        var output = await RunSwarmAsync("--agents", "3", "--rounds", "6", "--lease-seconds", "4", "--dir", run);

        Assert.Contains("invariant: OK", output, StringComparison.Ordinal);
        // The agents committed through the guard, and the deliberate violation was refused.
        Assert.Matches(@"total(\s+\d+){3}\s+[1-9]\d*\s", output);
        Assert.Contains("commit guard: OK: the deliberate violation", output, StringComparison.Ordinal);
        // The kill happened, and the restarted agent took over its predecessor's identity lock as stale.
        Assert.Contains("!! kill -9", output, StringComparison.Ordinal);
        Assert.Matches(@"took its worker identity lock \(took over the stale lock of pid \d+", output);
        // Seven-column summary with a total row: three agents, four processes (one restarted).
        Assert.Matches(@"total\s+4\s", output);
        // The killed process cannot report its meter; the three that finished do.
        AssertPlausibleMetrics(output, processes: 3, rounds: int.Parse(Regex.Match(output, @"total\s+4\s+(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(Directory.Exists(run), "a successful run removes its directory");
    }

    /// <summary>
    /// Without the kill: on PostgreSQL leases run on the server's clock, so a killed agent's scopes would come back
    /// only after a real minute. The agents' reservations and identity locks are in the server, in the run's schema.
    /// </summary>
    [Fact]
    public async Task A_swarm_on_PostgreSQL_keeps_the_invariant_and_leaves_no_schema()
    {
        var connection = Environment.GetEnvironmentVariable("AGENTLOCKS_TEST_POSTGRES");
        Assert.False(string.IsNullOrWhiteSpace(connection), "AGENTLOCKS_TEST_POSTGRES is not set: `source .ci/postgres.sh` starts a throwaway server and exports it.");

        var output = await RunSwarmAsync("--agents", "4", "--rounds", "4", "--no-kill", "--postgres", connection);

        Assert.Contains("invariant: OK", output, StringComparison.Ordinal);
        AssertPlausibleMetrics(output, processes: 4, rounds: 16);
        var schema = Regex.Match(output, @"store: PostgreSQL, schema (agentswarm_\d+)").Groups[1].Value;
        Assert.NotEmpty(schema);
        await using var dataSource = NpgsqlDataSource.Create(connection!);
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1");
        count.Parameters.Add(new NpgsqlParameter { Value = schema });
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    /// <summary>
    /// The metrics table the run printed from the agents' <c>AgentLocks</c> meters: every round granted at least one
    /// reservation, every grant and release was an operation, and the durations are ordered.
    /// </summary>
    private static void AssertPlausibleMetrics(string output, int processes, int rounds)
    {
        var table = Regex.Match(output, @"AgentLocks meter, from (\d+) agent processes:\s*\n.*grants.*op p99\s*\n[- ]+\n\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+) ms\s+([\d.]+) ms");
        Assert.True(table.Success, output);
        var n = table.Groups.Values.Skip(1).Select(g => double.Parse(g.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var (reported, grants, conflicts, waits, operations, p50, p99) = (n[0], n[1], n[2], n[3], n[6], n[7], n[8]);
        Assert.Equal(processes, reported);
        Assert.True(grants >= rounds, $"{grants} grants for {rounds} rounds");
        Assert.True(operations >= 2 * rounds, $"{operations} operations for {rounds} rounds");
        Assert.True(waits <= conflicts + grants, $"{waits} waits");
        Assert.True(p50 > 0 && p50 <= p99, $"p50 {p50} ms, p99 {p99} ms");
    }

    /// <summary>Runs the built sample as a user would (<c>dotnet AgentSwarm.dll ...</c>); asserts exit 0 and returns what it printed.</summary>
    private static async Task<string> RunSwarmAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AgentSwarm.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);
        return output;
    }
}
