using AgentLocks;

namespace AgentSwarm.Swarm;

/// <summary>One write an agent logged: from its <c>write-begin</c> to its <c>write-end</c> (or its death).</summary>
internal sealed record WriteInterval(string Agent, int Pid, string File, ScopePattern Scope, long Token, long BeginNs, long EndNs);

/// <summary>Something the checker found that a correct swarm never does.</summary>
internal sealed record Violation(string Kind, string Message);

/// <summary>
/// Proves the swarm's invariant from the agents' own logs: no two processes ever wrote at the same time under
/// overlapping exclusive scopes, no process wrote outside the scope it held, and on every file the fencing
/// tokens of successive writes never go backwards (a writer with an older grant never wrote after a newer one).
/// </summary>
internal static class InvariantChecker
{
    /// <summary>
    /// Pairs each <c>write-begin</c> with the same process's next <c>write-end</c> for that file. A write that
    /// never ended (its process was killed) ends at the process's death when known, otherwise it never ends,
    /// so anything after it that overlaps is reported.
    /// </summary>
    public static IReadOnlyList<WriteInterval> Intervals(IEnumerable<SwarmEvent> events, IReadOnlyDictionary<int, long> deathsNs)
    {
        var open = new Dictionary<(int Pid, string File), SwarmEvent>();
        var intervals = new List<WriteInterval>();
        foreach (var e in events.OrderBy(e => e.TimeNs))
        {
            if (e.File is null)
            {
                continue;
            }

            if (e.Kind == EventKinds.WriteBegin)
            {
                open[(e.Pid, e.File)] = e;
            }
            else if (e.Kind == EventKinds.WriteEnd && open.Remove((e.Pid, e.File), out var begin))
            {
                intervals.Add(ToInterval(begin, e.TimeNs));
            }
        }

        intervals.AddRange(open.Values.Select(begin => ToInterval(begin, deathsNs.GetValueOrDefault(begin.Pid, long.MaxValue))));
        return intervals;
    }

    public static IReadOnlyList<Violation> Check(IReadOnlyList<WriteInterval> writes)
    {
        var violations = new List<Violation>();
        foreach (var w in writes.Where(w => !w.Scope.Covers(w.File)))
        {
            violations.Add(new("outside-scope", $"{w.Agent} (pid {w.Pid}) wrote {w.File} while holding only {w.Scope}"));
        }

        var byBegin = writes.OrderBy(w => w.BeginNs).ToList();
        for (var i = 0; i < byBegin.Count; i++)
        {
            var a = byBegin[i];
            // Sorted by begin: once b begins after a ended, no later b can overlap a.
            for (var j = i + 1; j < byBegin.Count && byBegin[j].BeginNs < a.EndNs; j++)
            {
                var b = byBegin[j];
                if (a.Pid != b.Pid && (a.Scope.Overlaps(b.Scope) || a.File == b.File))
                {
                    violations.Add(new(
                        "overlap",
                        $"{a.Agent} (pid {a.Pid}, {a.Scope}, token {a.Token}) and {b.Agent} (pid {b.Pid}, {b.Scope}, token {b.Token}) wrote {a.File} / {b.File} at the same time"));
                }
            }
        }

        foreach (var file in byBegin.GroupBy(w => w.File))
        {
            var newest = file.First();
            foreach (var w in file.Skip(1))
            {
                if (w.Token < newest.Token)
                {
                    violations.Add(new(
                        "fencing",
                        $"{w.Agent} wrote {file.Key} with token {w.Token} after {newest.Agent} had written it with token {newest.Token}"));
                }
                else
                {
                    newest = w;
                }
            }
        }

        return violations;
    }

    private static WriteInterval ToInterval(SwarmEvent begin, long endNs)
        => new(begin.Agent, begin.Pid, begin.File!, ScopePattern.Parse(begin.Scope!), begin.Token ?? 0, begin.TimeNs, endNs);
}
