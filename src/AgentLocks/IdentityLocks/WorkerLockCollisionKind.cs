namespace AgentLocks;

/// <summary>Why a lock is reported by collision detection.</summary>
/// <remarks>Usage: <c>if (collision.Kind == WorkerLockCollisionKind.SessionNotFound) { ... }</c></remarks>
public enum WorkerLockCollisionKind
{
    /// <summary><c>stale</c>: the holder is gone; the identity can be taken over.</summary>
    Stale,

    /// <summary><c>session-not-found</c>: the holder lives but its tmux session, window or pane is on none of the servers asked.</summary>
    SessionNotFound,
}
