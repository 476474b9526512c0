using AgentSwarm.Swarm;

namespace AgentSwarm.Agents;

/// <summary>What one agent process runs with: the run's options and layout, its clock, and its log.</summary>
internal sealed class AgentContext(SwarmOptions options, RunLayout layout, AcceleratedTimeProvider clock, AgentLog log)
{
    public SwarmOptions Options { get; } = options;

    public RunLayout Layout { get; } = layout;

    public AcceleratedTimeProvider Clock { get; } = clock;

    public AgentLog Log { get; } = log;
}
