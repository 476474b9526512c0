using AgentSwarm.Swarm;

namespace AgentSwarm.Agents;

/// <summary>
/// The agent's own log: each event is one JSON line in <c>logs/&lt;role&gt;-&lt;pid&gt;.jsonl</c>, flushed at once
/// (so a SIGKILL loses nothing already written), and the same line on stdout for the orchestrator's live view.
/// </summary>
internal sealed class AgentLog(string role, string path) : IDisposable
{
    private readonly StreamWriter _file = new(path, append: true) { AutoFlush = true };

    public string Role { get; } = role;

    public void Write(SwarmEvent e)
    {
        var line = e.ToJson();
        _file.WriteLine(line);
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    public void Write(string kind, Func<SwarmEvent, SwarmEvent>? details = null)
    {
        var e = new SwarmEvent { Agent = Role, Kind = kind };
        Write(details is null ? e : details(e));
    }

    public void Dispose() => _file.Dispose();
}
