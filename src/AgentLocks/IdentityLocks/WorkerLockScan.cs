namespace AgentLocks;

/// <summary>Every worker identity lock below a root, and what could not be read there.</summary>
/// <param name="Locks">One status per lock file found, ordered by worker directory.</param>
/// <param name="Problems">Directories that could not be read and lock files that are damaged: reported, never swallowed.</param>
/// <remarks>Usage: <c>var scan = await WorkerIdentityLock.FindAllAsync(root, ct); foreach (var s in scan.Locks) { ... }</c></remarks>
public sealed record WorkerLockScan(IReadOnlyList<WorkerLockStatus> Locks, IReadOnlyList<WorkerLockProblem> Problems);
