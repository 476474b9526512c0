namespace AgentSwarm.Swarm;

/// <summary>What the orchestrator knows of one agent process, from the events it prints.</summary>
internal sealed class AgentView(string role, int pid)
{
    public string Role { get; } = role;

    public int Pid { get; } = pid;

    public string State { get; private set; } = "starting";

    public int Rounds { get; private set; }

    public int Writes { get; private set; }

    public int Conflicts { get; private set; }

    public int Takeovers { get; private set; }

    public bool Holding { get; private set; }

    public bool Writing { get; private set; }

    public bool Killed { get; set; }

    public int? ExitCode { get; set; }

    /// <summary>Applies one event; returns the plain line worth showing, or null for routine ones.</summary>
    public string? Apply(SwarmEvent e)
    {
        var scopes = e.Scopes is null ? "" : string.Join(", ", e.Scopes);
        switch (e.Kind)
        {
            case EventKinds.LockAcquired:
                State = "locked worker";
                if (e.Count > 0)
                {
                    Takeovers++;
                }

                return $"{Role} took its worker identity lock{(e.Detail is null ? "" : $" ({e.Detail})")}";
            case EventKinds.Waiting:
                Conflicts++;
                State = $"waiting: {e.Detail}";
                return $"{Role} waits for {scopes}: {e.Detail}";
            case EventKinds.Recovering:
                State = $"recovering: {e.Detail}";
                return $"{Role} finds {scopes} held by its killed predecessor and lets them lapse: {e.Detail}";
            case EventKinds.Reserved:
                Holding = true;
                Takeovers += e.Count ?? 0;
                State = $"holds {scopes}";
                return $"{Role} holds {scopes} (token {e.Token}, waited {e.WaitMs:0} ms{(e.Count > 0 ? $", took over {e.Count} stale" : "")})";
            case EventKinds.WriteBegin:
                Writing = true;
                State = $"writes {e.File} under {e.Scope}";
                return null;
            case EventKinds.WriteEnd:
                Writing = false;
                Writes++;
                return null;
            case EventKinds.CommitRefused:
                return $"{Role}'s commit was REFUSED by the guard: {e.Detail}";
            case EventKinds.LeaseShort:
                return $"{Role} stops writing this round: {e.Detail}";
            case EventKinds.Released:
                Holding = false;
                Rounds++;
                State = "thinking";
                return null;
            case EventKinds.Done:
                State = "done";
                return $"{Role} is done";
            case EventKinds.Failed:
                State = $"FAILED: {e.Detail}";
                return $"{Role} FAILED: {e.Detail}";
            case EventKinds.Stderr:
                return $"{Role} (pid {Pid}) stderr: {e.Detail}";
            default:
                return null;
        }
    }
}
