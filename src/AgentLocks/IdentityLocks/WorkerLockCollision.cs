namespace AgentLocks;

/// <summary>One lock that does not match the live processes and tmux sessions.</summary>
/// <param name="Kind">Stale, or a live holder whose session is gone.</param>
/// <param name="Status">The lock's status.</param>
/// <param name="Message">A sentence for people.</param>
/// <remarks>Usage: <c>foreach (var c in report.Collisions) Console.WriteLine(c.Message);</c></remarks>
public sealed record WorkerLockCollision(WorkerLockCollisionKind Kind, WorkerLockStatus Status, string Message);
