namespace AgentLocks;

/// <summary>The state of one worker identity lock as data: state, holder, age, and why.</summary>
/// <param name="Worker">The worker: its directory (absolute) on files, its id on PostgreSQL (<see cref="IWorkerIdentityLock.Worker"/>).</param>
/// <param name="State">Unlocked, locked, stale or foreign-host.</param>
/// <param name="Holder">Who holds it or last held it (the lock file's contents, or the PostgreSQL row); null when unlocked.</param>
/// <param name="Age">How long ago the lock was taken; null when unlocked.</param>
/// <param name="Reason">Why the state is what it is, for people (such as <c>process 4242 is not running</c>).</param>
/// <remarks>Usage: <c>var status = await workerLock.GetStatusAsync(ct); if (status.State == WorkerLockState.Locked) Console.WriteLine(status.Holder!.Pid);</c></remarks>
public sealed record WorkerLockStatus(string Worker, WorkerLockState State, WorkerLockInfo? Holder, TimeSpan? Age, string Reason);
