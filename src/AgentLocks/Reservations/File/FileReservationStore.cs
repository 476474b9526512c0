namespace AgentLocks;

/// <summary>
/// The embedded default store: files in beadboard's layout under a root (<c>reservations/active.json</c>,
/// <c>reservations/history.jsonl</c>, <c>agents/&lt;id&gt;.json</c>, <c>messages/index/</c>), so pointing it at
/// <c>~/.beadboard/agent</c> works on a beadboard installation. It honours beadboard's <c>reservations/.lock</c>
/// mutex, so a beadboard process and this store never write at once; a mutex left by a crashed process is
/// removed at once. Many processes may share one root.
/// </summary>
/// <remarks>Usage: <c>IReservationStore store = new FileReservationStore(Path.Combine(home, ".agentlocks"));</c></remarks>
public sealed class FileReservationStore : IReservationStore
{
    private readonly ReservationEngine _engine;

    /// <summary>A store under <paramref name="root"/> with the system clock and beadboard's TTL policy.</summary>
    /// <remarks>Usage: <c>var store = new FileReservationStore("/home/me/.beadboard/agent");</c></remarks>
    public FileReservationStore(string root)
        : this(root, new ReservationStoreOptions())
    {
    }

    /// <summary>A store under <paramref name="root"/> with a given clock, TTL policy and mutex timeout.</summary>
    /// <remarks>Usage: <c>var store = new FileReservationStore(root, new ReservationStoreOptions { TimeProvider = fakeTime });</c></remarks>
    public FileReservationStore(string root, ReservationStoreOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(options);
        var telemetry = new StoreTelemetry("file", options.LoggerFactory, options.MeterFactory);
        Files = new FileReservationPersistence(root, options.TimeProvider, options.LockTimeout) { StaleMutexRemoved = telemetry.StaleLockRemoved };
        _engine = new ReservationEngine(Files, options.Policy, FileChangeWatcher.Feed(Files.ReservationsDirectory), telemetry, RepositoryRoot.Agreed(options.Repository, Files));
    }

    /// <summary>The absolute root directory.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(store.Root);</c></remarks>
    public string Root => Files.Root;

    /// <summary>The files, for <c>doctor</c> and tests.</summary>
    internal FileReservationPersistence Files { get; }

    /// <inheritdoc/>
    public Task<AgentRecord> RegisterAgentAsync(AgentId agent, AgentRegistration? registration = null, CancellationToken cancellationToken = default)
        => _engine.RegisterAgentAsync(agent, registration, cancellationToken);

    /// <inheritdoc/>
    public Task<ReservationHandle> ReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default)
        => _engine.ReserveAsync(request, cancellationToken);

    /// <inheritdoc/>
    public Task<ReserveResult> TryReserveAsync(ReservationRequest request, CancellationToken cancellationToken = default)
        => _engine.TryReserveAsync(request, cancellationToken);

    /// <inheritdoc/>
    public Task<ReservationSetHandle> ReserveAllAsync(IEnumerable<ReservationRequest> requests, CancellationToken cancellationToken = default)
        => _engine.ReserveAllAsync(requests, cancellationToken);

    /// <inheritdoc/>
    public Task<Reservation> RenewAsync(AgentId agent, ScopePattern scope, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        => _engine.RenewAsync(agent, scope, ttl, cancellationToken);

    /// <inheritdoc/>
    public Task<Reservation> ReleaseAsync(AgentId agent, ScopePattern scope, CancellationToken cancellationToken = default)
        => _engine.ReleaseAsync(agent, scope, cancellationToken);

    /// <inheritdoc/>
    public Task<ReservationStatus> GetStatusAsync(StatusQuery? query = null, CancellationToken cancellationToken = default)
        => _engine.GetStatusAsync(query, cancellationToken);

    /// <inheritdoc/>
    public Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken = default)
        => _engine.AcknowledgeMessageAsync(agent, messageId, cancellationToken);
}
