using AgentSwarm.Swarm;

namespace AgentSwarm.Agents;

/// <summary>One agent process. Placeholder until the stores, identity locks and generator land.</summary>
internal static class AgentProcess
{
    public static Task<int> RunAsync(SwarmOptions options, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine($"agent {options.Role}: not implemented yet");
        return Task.FromResult(1);
    }
}
