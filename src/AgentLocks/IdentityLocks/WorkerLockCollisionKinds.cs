namespace AgentLocks;

/// <summary>Wire names of <see cref="WorkerLockCollisionKind"/>.</summary>
/// <remarks>Usage: <c>collision.Kind.ToWireName() == "session-not-found"</c></remarks>
public static class WorkerLockCollisionKinds
{
    /// <summary>The lower-case wire name.</summary>
    /// <remarks>Usage: <c>string name = kind.ToWireName();</c></remarks>
    public static string ToWireName(this WorkerLockCollisionKind kind) => kind switch
    {
        WorkerLockCollisionKind.Stale => "stale",
        WorkerLockCollisionKind.SessionNotFound => "session-not-found",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
