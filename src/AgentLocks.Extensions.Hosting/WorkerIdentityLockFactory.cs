namespace AgentLocks.Extensions.Hosting;

/// <summary>
/// Gives out gastown worker identity locks (<c>&lt;worker&gt;/.runtime/agent.lock</c>) on the container's
/// <see cref="TimeProvider"/>. With PostgreSQL configured, the container also gives out one
/// <c>PostgresWorkerIdentityLock</c> for the same database.
/// </summary>
/// <remarks>Usage: <c>var handle = await factory.ForWorker(workerDirectory).AcquireAsync(cancellationToken: ct);</c></remarks>
public sealed class WorkerIdentityLockFactory(TimeProvider timeProvider)
{
    /// <summary>The identity lock of the worker in <paramref name="workerDirectory"/>.</summary>
    /// <remarks>Usage: <c>factory.ForWorker("/srv/town/workers/alpha")</c></remarks>
    public WorkerIdentityLock ForWorker(string workerDirectory) => new(workerDirectory, timeProvider);
}
