namespace AgentLocks.Extensions.Hosting;

/// <summary>
/// Gives out worker identity locks on the container's backend: with a file store, gastown's
/// <c>&lt;worker&gt;/.runtime/agent.lock</c> on the container's <see cref="TimeProvider"/> (a worker is a directory);
/// with PostgreSQL, the rows of the same database (a worker is a <see cref="WorkerId"/>).
/// </summary>
/// <remarks>Usage: <c>await using var handle = await factory.ForWorker(worker).AcquireAsync(cancellationToken: ct);</c></remarks>
public sealed class WorkerIdentityLockFactory(IWorkerIdentityLocks locks)
{
    /// <summary>The identity lock of <paramref name="worker"/>: a directory on files, a worker id on PostgreSQL.</summary>
    /// <remarks>Usage: <c>factory.ForWorker("/srv/town/workers/alpha")</c></remarks>
    public IWorkerIdentityLock ForWorker(string worker) => locks.ForWorker(worker);
}
