namespace AgentLocks;

/// <summary>The state of a worker identity lock.</summary>
/// <remarks>Usage: <c>if (status.State == WorkerLockState.Stale) { ... }</c></remarks>
public enum WorkerLockState
{
    /// <summary><c>unlocked</c>: there is no lock file.</summary>
    Unlocked,

    /// <summary><c>locked</c>: held by a live process on this host.</summary>
    Locked,

    /// <summary><c>stale</c>: the holder is gone (dead PID, reused PID, or the machine rebooted); acquiring takes it over.</summary>
    Stale,

    /// <summary><c>foreign-host</c>: written on another host, so no local probe can judge it; only a force release takes it.</summary>
    ForeignHost,
}

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
