namespace AgentLocks;

/// <summary>
/// The identity locks on files, as <see cref="IWorkerIdentityLocks"/>: a worker is a directory holding
/// <c>.runtime/agent.lock</c>, and <c>under</c> is the directory to search (required).
/// </summary>
/// <remarks>Usage: <c>IWorkerIdentityLocks locks = new FileWorkerIdentityLocks(); var scan = await locks.FindAllAsync("/town", ct);</c></remarks>
public sealed class FileWorkerIdentityLocks : IWorkerIdentityLocks
{
    private readonly LockEnvironment _environment;

    /// <summary>The locks on <paramref name="timeProvider"/> (default: the system clock), as <see cref="WorkerIdentityLock"/> uses it.</summary>
    /// <remarks>Usage: <c>new FileWorkerIdentityLocks(timeProvider)</c></remarks>
    public FileWorkerIdentityLocks(TimeProvider? timeProvider = null)
        : this(timeProvider is null ? LockEnvironment.Default : LockEnvironment.Default with { Time = timeProvider })
    {
    }

    internal FileWorkerIdentityLocks(LockEnvironment environment) => _environment = environment;

    /// <inheritdoc/>
    public IWorkerIdentityLock ForWorker(string worker) => new WorkerIdentityLock(worker, _environment);

    /// <inheritdoc/>
    public Task<WorkerLockScan> FindAllAsync(string? under = null, CancellationToken cancellationToken = default)
        => WorkerIdentityLock.FindAllAsync(Root(under), _environment, cancellationToken);

    /// <inheritdoc/>
    public Task<WorkerLockCleanResult> CleanStaleAsync(string? under = null, CancellationToken cancellationToken = default)
        => WorkerIdentityLock.CleanStaleAsync(Root(under), _environment, cancellationToken);

    /// <inheritdoc/>
    public Task<WorkerLockCollisionReport> DetectCollisionsAsync(string? under = null, IReadOnlyList<string?>? tmuxSockets = null, CancellationToken cancellationToken = default)
        => WorkerIdentityLock.DetectCollisionsAsync(Root(under), tmuxSockets, _environment, cancellationToken);

    private static string Root(string? under)
        => string.IsNullOrEmpty(under)
            ? throw new AgentLocksException(ErrorCode.InvalidArgs, "Worker locks on files are found below a directory: give one (--under DIR).")
            : under;
}
