using System.Globalization;
using System.Text;

namespace AgentSwarm.Swarm;

/// <summary>The end of a run: the summary table and the invariant, both computed from the agents' own logs.</summary>
/// <param name="MetricsTable">What the agents' stores recorded on the <c>AgentLocks</c> meter, summed over the processes that reported it.</param>
internal sealed record SwarmReport(string Table, string MetricsTable, IReadOnlyList<WriteInterval> Writes, IReadOnlyList<Violation> Violations, int Processes)
{
    public bool InvariantHolds => Violations.Count == 0 && Writes.Count > 0;

    public static IEnumerable<SwarmEvent> ReadLogs(string logDirectory)
        => Directory.EnumerateFiles(logDirectory, "*.jsonl")
            .SelectMany(File.ReadLines)
            .Select(SwarmEvent.TryParse)
            .OfType<SwarmEvent>();

    public static SwarmReport From(IReadOnlyList<SwarmEvent> events, IReadOnlyDictionary<int, long> deathsNs)
    {
        var rows = events.GroupBy(e => e.Agent).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Row(g.Key, [.. g])).ToList();
        rows.Add(Row("total", events));
        var table = TextTable.Render(["agent", "processes", "rounds", "writes", "commits", "refused", "conflicts", "takeovers", "mean wait", "p99 wait"], rows);
        var writes = InvariantChecker.Intervals(events, deathsNs);
        return new SwarmReport(table, Metrics([.. events.Select(e => e.Metrics).OfType<Agents.AgentMetrics>()]), writes, InvariantChecker.Check(writes), events.Select(e => e.Pid).Distinct().Count());
    }

    /// <summary>The closing line the tests look for: <c>invariant: OK</c> only when it holds.</summary>
    public string InvariantText()
    {
        var text = new StringBuilder();
        if (InvariantHolds)
        {
            text.Append(CultureInfo.InvariantCulture, $"invariant: OK: {Writes.Count} writes by {Processes} processes; no two ever wrote under overlapping exclusive scopes at the same time, and fencing tokens never went backwards on a file");
        }
        else if (Writes.Count == 0)
        {
            text.Append("invariant: NOT PROVEN: the agents logged no writes");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"invariant: VIOLATED ({Violations.Count}):");
            foreach (var v in Violations.Take(20))
            {
                text.AppendLine().Append(CultureInfo.InvariantCulture, $"  {v.Kind}: {v.Message}");
            }
        }

        return text.ToString();
    }

    /// <summary>The metrics table: one row for the swarm, from the agent processes that lived to report (a killed one cannot).</summary>
    private static string Metrics(IReadOnlyList<Agents.AgentMetrics> agents)
    {
        var durations = agents.SelectMany(a => a.OperationMs).Order().ToArray();
        string Sum(Func<Agents.AgentMetrics, long> count) => agents.Sum(count).ToString(CultureInfo.InvariantCulture);
        string Duration(double p) => durations.Length == 0 ? "-" : Percentile(durations, p).ToString("0.0", CultureInfo.InvariantCulture) + " ms";
        return $"AgentLocks meter, from {agents.Count} agent processes:{Environment.NewLine}" + TextTable.Render(
            ["grants", "conflicts", "waits", "takeovers", "handles lost", "operations", "op p50", "op p99"],
            [[Sum(a => a.Grants), Sum(a => a.Conflicts), Sum(a => a.Waits), Sum(a => a.Takeovers), Sum(a => a.HandlesLost),
              durations.Length.ToString(CultureInfo.InvariantCulture), Duration(0.50), Duration(0.99)]]);
    }

    private static string[] Row(string name, IReadOnlyList<SwarmEvent> agent)
    {
        var waits = agent.Where(e => e.Kind == EventKinds.Reserved && e.WaitMs is not null).Select(e => e.WaitMs!.Value).Order().ToArray();
        return
        [
            name,
            agent.Select(e => e.Pid).Distinct().Count().ToString(CultureInfo.InvariantCulture),
            agent.Count(e => e.Kind == EventKinds.Released).ToString(CultureInfo.InvariantCulture),
            agent.Count(e => e.Kind == EventKinds.WriteEnd).ToString(CultureInfo.InvariantCulture),
            agent.Count(e => e.Kind == EventKinds.Committed).ToString(CultureInfo.InvariantCulture),
            agent.Count(e => e.Kind == EventKinds.CommitRefused).ToString(CultureInfo.InvariantCulture),
            agent.Count(e => e.Kind == EventKinds.Waiting).ToString(CultureInfo.InvariantCulture),
            agent.Where(e => e.Kind is EventKinds.Reserved or EventKinds.LockAcquired).Sum(e => e.Count ?? 0).ToString(CultureInfo.InvariantCulture),
            waits.Length == 0 ? "-" : Ms(waits.Average()),
            waits.Length == 0 ? "-" : Ms(Percentile(waits, 0.99)),
        ];
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(double[] sorted, double p)
        => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Ms(double value) => value.ToString("0", CultureInfo.InvariantCulture) + " ms";
}
