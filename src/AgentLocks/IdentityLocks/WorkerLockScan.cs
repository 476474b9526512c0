namespace AgentLocks;

/// <summary>Every worker identity lock below a root, and what could not be read there.</summary>
/// <param name="Locks">One status per lock file found, ordered by worker directory.</param>
/// <param name="Problems">Directories that could not be read and lock files that are damaged: reported, never swallowed.</param>
/// <remarks>Usage: <c>var scan = await WorkerIdentityLock.FindAllAsync(root, ct); foreach (var s in scan.Locks) { ... }</c></remarks>
public sealed record WorkerLockScan(IReadOnlyList<WorkerLockStatus> Locks, IReadOnlyList<WorkerLockProblem> Problems);

/// <summary>A path a scan could not use, with the code and message of why.</summary>
/// <param name="Path">The directory or lock file.</param>
/// <param name="Code"><c>INVALID_LOCK</c> for a damaged lock file, <c>INTERNAL_ERROR</c> for an unreadable directory.</param>
/// <param name="Message">What went wrong.</param>
/// <remarks>Usage: <c>foreach (var p in scan.Problems) Console.Error.WriteLine($"{p.Path}: {p.Message}");</c></remarks>
public sealed record WorkerLockProblem(string Path, ErrorCode Code, string Message);

/// <summary>What a clean removed, and what it could not look at.</summary>
/// <param name="Cleaned">The stale locks removed, as they were just before removal.</param>
/// <param name="Problems">Unreadable directories and damaged lock files, left as they are.</param>
/// <remarks>Usage: <c>var result = await WorkerIdentityLock.CleanStaleAsync(root, ct); Console.WriteLine(result.Cleaned.Count);</c></remarks>
public sealed record WorkerLockCleanResult(IReadOnlyList<WorkerLockStatus> Cleaned, IReadOnlyList<WorkerLockProblem> Problems);

/// <summary>Why a lock is reported by collision detection.</summary>
/// <remarks>Usage: <c>if (collision.Kind == WorkerLockCollisionKind.SessionNotFound) { ... }</c></remarks>
public enum WorkerLockCollisionKind
{
    /// <summary><c>stale</c>: the holder is gone; the identity can be taken over.</summary>
    Stale,

    /// <summary><c>session-not-found</c>: the holder lives but its tmux session, window or pane is on none of the servers asked.</summary>
    SessionNotFound,
}

/// <summary>One lock that does not match the live processes and tmux sessions.</summary>
/// <param name="Kind">Stale, or a live holder whose session is gone.</param>
/// <param name="Status">The lock's status.</param>
/// <param name="Message">A sentence for people.</param>
/// <remarks>Usage: <c>foreach (var c in report.Collisions) Console.WriteLine(c.Message);</c></remarks>
public sealed record WorkerLockCollision(WorkerLockCollisionKind Kind, WorkerLockStatus Status, string Message);

/// <summary>The result of comparing the locks below a root with live tmux sessions.</summary>
/// <param name="Collisions">Stale locks and locks whose session is gone, ordered by worker directory.</param>
/// <param name="Problems">Unreadable directories and damaged lock files.</param>
/// <param name="Sockets">The tmux sockets asked (null: the default server).</param>
/// <remarks>Usage: <c>var report = await WorkerIdentityLock.DetectCollisionsAsync(root, ["gt"], ct);</c></remarks>
public sealed record WorkerLockCollisionReport(IReadOnlyList<WorkerLockCollision> Collisions, IReadOnlyList<WorkerLockProblem> Problems, IReadOnlyList<string?> Sockets);

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
