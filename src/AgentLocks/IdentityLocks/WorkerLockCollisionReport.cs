namespace AgentLocks;

/// <summary>The result of comparing the locks below a root with live tmux sessions.</summary>
/// <param name="Collisions">Stale locks and locks whose session is gone, ordered by worker directory.</param>
/// <param name="Problems">Unreadable directories and damaged lock files.</param>
/// <param name="Sockets">The tmux sockets asked (null: the default server).</param>
/// <remarks>Usage: <c>var report = await WorkerIdentityLock.DetectCollisionsAsync(root, ["gt"], ct);</c></remarks>
public sealed record WorkerLockCollisionReport(IReadOnlyList<WorkerLockCollision> Collisions, IReadOnlyList<WorkerLockProblem> Problems, IReadOnlyList<string?> Sockets);
