namespace AgentLocks;

/// <summary>Everything outside the lock files that the identity locks consult: the clock, processes and tmux.</summary>
internal sealed record LockEnvironment(TimeProvider Time, IProcessProbe Processes, ITmuxProbe Tmux)
{
    public static LockEnvironment Default { get; } = new(TimeProvider.System, LinuxProcessProbe.Instance, TmuxCli.Instance);
}
