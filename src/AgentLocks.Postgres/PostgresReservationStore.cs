using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// Scope reservations in PostgreSQL, for a swarm that spans machines. The same rules as the file store (the same
/// core decides); leases are rows, their times come from the server's clock, every grant gets a fencing token from
/// a sequence, and each operation is one short transaction serialised with every other that concerns an overlapping
/// scope (locks by literal scope prefix), so two clients can never both be granted overlapping exclusive scopes,
/// and clients on disjoint scopes never wait for each other. The schema is created on first use. The store keeps one connection of
/// its own open and watched; when it is lost, every handle the store granted reports <c>HandleLost</c>.
/// </summary>
/// <remarks>Usage: <c>await using var store = new PostgresReservationStore("Host=db;Username=agents;Database=swarm"); await using var held = await store.ReserveAsync(request);</c></remarks>
public sealed class PostgresReservationStore : ReservationStore, IAsyncDisposable
{
    private readonly PostgresConnector _connector;
    private readonly PostgresChangeListener.Source _listener;

    /// <summary>Creates the store on a connection string; nothing is contacted until the first call.</summary>
    /// <remarks>Usage: <c>new PostgresReservationStore("Host=db;Username=agents;Password=...;Database=swarm")</c></remarks>
    /// <exception cref="AgentLocksException"><c>INVALID_ARGS</c> when the connection string is malformed.</exception>
    public PostgresReservationStore(string connectionString, PostgresStoreOptions? options = null)
        : this(new PostgresConnector(connectionString, options, reuseSessions: true))
    {
    }

    /// <summary>Creates the store on a data source the caller owns (and disposes).</summary>
    /// <remarks>Usage: <c>new PostgresReservationStore(dataSource, new PostgresStoreOptions { Schema = "swarm_a" })</c></remarks>
    public PostgresReservationStore(NpgsqlDataSource dataSource, PostgresStoreOptions? options = null)
        : this(new PostgresConnector(dataSource, options))
    {
    }

    private PostgresReservationStore(PostgresConnector connector)
        : base(Engine(connector, out var persistence, out var listener))
    {
        _connector = connector;
        Persistence = persistence;
        _listener = listener;
    }

    /// <summary>The persistence, for tests that pin and move the server clock.</summary>
    internal PostgresReservationPersistence Persistence { get; }

    /// <summary>
    /// Where the store is, and its schema's version against the newest this package knows; the schema is created or
    /// upgraded first only when <paramref name="upgrade"/>. For <c>doctor</c>.
    /// </summary>
    internal async Task<PostgresSchemaState> ReadSchemaStateAsync(bool upgrade, CancellationToken cancellationToken)
        => new(_connector.Where, _connector.Schema.Name,
            await _connector.AppliedSchemaVersionAsync(upgrade, cancellationToken).ConfigureAwait(false),
            PostgresSchema.Migrations[^1].Version);

    private static ReservationEngine Engine(PostgresConnector connector, out PostgresReservationPersistence persistence, out PostgresChangeListener.Source listener)
    {
        listener = new PostgresChangeListener.Source(connector);
        persistence = new PostgresReservationPersistence(connector, listener);
        return new ReservationEngine(persistence, connector.Options.Policy, listener.Feed,
            new StoreTelemetry("postgres", connector.Options.LoggerFactory, connector.Options.MeterFactory), connector.Options.Repository);
    }

    /// <summary>Closes the watched connection and disposes the data source when this store created it; handles still held can no longer renew or release.</summary>
    /// <remarks>Usage: <c>await using var store = new PostgresReservationStore(connectionString);</c></remarks>
    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        await Persistence.Session.DisposeAsync().ConfigureAwait(false);
        await _connector.DisposeAsync().ConfigureAwait(false);
    }
}
