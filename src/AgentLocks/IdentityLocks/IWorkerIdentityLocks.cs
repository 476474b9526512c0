namespace AgentLocks;

/// <summary>
/// Every worker's identity lock in one backend: a worker's own lock, and the scans over many workers. On files
/// (<see cref="FileWorkerIdentityLocks"/>) a worker is a directory and <c>under</c> is a directory to search, which
/// is required (<c>INVALID_ARGS</c> without it); on PostgreSQL (<c>PostgresWorkerIdentityLocks</c>) a worker is a
/// <see cref="WorkerId"/> and <c>under</c> an id prefix (null: every worker).
/// </summary>
/// <remarks>Usage: <c>var scan = await locks.FindAllAsync("/town", ct); await using var held = await locks.ForWorker("/town/polecat-1").AcquireAsync(cancellationToken: ct);</c></remarks>
public interface IWorkerIdentityLocks
{
    /// <summary>The lock of <paramref name="worker"/>; <c>INVALID_ARGS</c> when it cannot name a worker in this backend.</summary>
    /// <remarks>Usage: <c>var workerLock = locks.ForWorker("polecat-1");</c></remarks>
    IWorkerIdentityLock ForWorker(string worker);

    /// <summary>
    /// Every recorded lock under <paramref name="under"/>, ordered by worker, with what could not be read
    /// (<see cref="WorkerLockScan.Problems"/>; always empty on PostgreSQL, whose rows cannot be damaged).
    /// </summary>
    /// <remarks>Usage: <c>foreach (var s in (await locks.FindAllAsync(under, ct)).Locks) Console.WriteLine(s.Worker);</c></remarks>
    Task<WorkerLockScan> FindAllAsync(string? under = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes every stale lock under <paramref name="under"/>, each judged again at the moment of removal (a lock
    /// taken meanwhile is never touched), and returns them as they were.
    /// </summary>
    /// <remarks>Usage: <c>var result = await locks.CleanStaleAsync(under, ct); Console.WriteLine(result.Cleaned.Count);</c></remarks>
    Task<WorkerLockCleanResult> CleanStaleAsync(string? under = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stale locks under <paramref name="under"/>, and live locks held from this host whose tmux session, window or
    /// pane is on none of <paramref name="tmuxSockets"/> (null entries and a null list: the default server). Other
    /// hosts' tmux servers cannot be asked, so their live locks are not judged. tmux is asked only when such a lock
    /// names a session; <c>INTERNAL_ERROR</c> when it cannot be run.
    /// </summary>
    /// <remarks>Usage: <c>var report = await locks.DetectCollisionsAsync(under, ["gt"], ct);</c></remarks>
    Task<WorkerLockCollisionReport> DetectCollisionsAsync(string? under = null, IReadOnlyList<string?>? tmuxSockets = null, CancellationToken cancellationToken = default);
}
