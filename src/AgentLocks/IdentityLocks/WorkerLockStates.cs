namespace AgentLocks;

/// <summary>Wire names of <see cref="WorkerLockState"/>, as <c>agentlocks lock status</c> prints them.</summary>
/// <remarks>Usage: <c>status.State.ToWireName() == "foreign-host"</c></remarks>
public static class WorkerLockStates
{
    /// <summary>The lower-case wire name, such as <c>foreign-host</c>.</summary>
    /// <remarks>Usage: <c>string name = state.ToWireName();</c></remarks>
    public static string ToWireName(this WorkerLockState state) => state switch
    {
        WorkerLockState.Unlocked => "unlocked",
        WorkerLockState.Locked => "locked",
        WorkerLockState.Stale => "stale",
        WorkerLockState.ForeignHost => "foreign-host",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };
}
