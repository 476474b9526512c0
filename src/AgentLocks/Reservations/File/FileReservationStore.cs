namespace AgentLocks;

/// <summary>
/// The embedded default store: files in beadboard's layout under a root (<c>reservations/active.json</c>,
/// <c>reservations/history.jsonl</c>, <c>agents/&lt;id&gt;.json</c>, <c>messages/index/</c>), so pointing it at
/// <c>~/.beadboard/agent</c> works on a beadboard installation. It honours beadboard's <c>reservations/.lock</c>
/// mutex, so a beadboard process and this store never write at once; a mutex left by a crashed process is
/// removed at once. Many processes may share one root.
/// </summary>
/// <remarks>Usage: <c>IReservationStore store = new FileReservationStore(Path.Combine(home, ".agentlocks"));</c></remarks>
public sealed class FileReservationStore : ReservationStore
{
    /// <summary>A store under <paramref name="root"/> with the system clock and beadboard's TTL policy.</summary>
    /// <remarks>Usage: <c>var store = new FileReservationStore("/home/me/.beadboard/agent");</c></remarks>
    public FileReservationStore(string root)
        : this(root, new ReservationStoreOptions())
    {
    }

    /// <summary>A store under <paramref name="root"/> with a given clock, TTL policy and mutex timeout.</summary>
    /// <remarks>Usage: <c>var store = new FileReservationStore(root, new ReservationStoreOptions { TimeProvider = fakeTime });</c></remarks>
    public FileReservationStore(string root, ReservationStoreOptions options)
        : base(Engine(root, options, out var files))
    {
        Files = files;
    }

    /// <summary>The absolute root directory.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(store.Root);</c></remarks>
    public string Root => Files.Root;

    /// <summary>The files, for <c>doctor</c> and tests.</summary>
    internal FileReservationPersistence Files { get; }

    private static ReservationEngine Engine(string root, ReservationStoreOptions options, out FileReservationPersistence files)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(options);
        var telemetry = new StoreTelemetry("file", options.LoggerFactory, options.MeterFactory);
        files = new FileReservationPersistence(root, options.TimeProvider, options.LockTimeout) { StaleMutexRemoved = telemetry.StaleLockRemoved };
        return new ReservationEngine(files, options.Policy, FileChangeWatcher.Feed(files.ReservationsDirectory), telemetry, RepositoryRoot.Agreed(options.Repository, files));
    }
}
