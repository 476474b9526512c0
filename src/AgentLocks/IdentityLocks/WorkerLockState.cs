namespace AgentLocks;

/// <summary>The state of a worker identity lock.</summary>
/// <remarks>Usage: <c>if (status.State == WorkerLockState.Stale) { ... }</c></remarks>
public enum WorkerLockState
{
    /// <summary><c>unlocked</c>: there is no lock file (no row).</summary>
    Unlocked,

    /// <summary><c>locked</c>: held by a live process on this host (on PostgreSQL: by a live connection, from any host).</summary>
    Locked,

    /// <summary><c>stale</c>: the holder is gone (dead PID, reused PID, or the machine rebooted; on PostgreSQL, its connection ended); acquiring takes it over.</summary>
    Stale,

    /// <summary>
    /// <c>foreign-host</c>: written on another host, so no local probe can judge it; only a force release takes it.
    /// Files only: PostgreSQL sees every host's connections, so it judges every holder itself.
    /// </summary>
    ForeignHost,
}
