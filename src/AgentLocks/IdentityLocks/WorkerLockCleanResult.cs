namespace AgentLocks;

/// <summary>What a clean removed, and what it could not look at.</summary>
/// <param name="Cleaned">The stale locks removed, as they were just before removal.</param>
/// <param name="Problems">Unreadable directories and damaged lock files, left as they are.</param>
/// <remarks>Usage: <c>var result = await WorkerIdentityLock.CleanStaleAsync(root, ct); Console.WriteLine(result.Cleaned.Count);</c></remarks>
public sealed record WorkerLockCleanResult(IReadOnlyList<WorkerLockStatus> Cleaned, IReadOnlyList<WorkerLockProblem> Problems);
