using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace AgentLocks.Postgres;

/// <summary>Settings shared by <c>PostgresReservationStore</c> and <see cref="PostgresWorkerIdentityLocks"/>.</summary>
/// <remarks>Usage: <c>new PostgresReservationStore(connectionString, new PostgresStoreOptions { Schema = "swarm_a" })</c></remarks>
public sealed partial record PostgresStoreOptions
{
    /// <summary>The schema when neither <see cref="Schema"/> nor the connection string's <c>Search Path</c> names one.</summary>
    internal const string DefaultSchema = "agentlocks";

    private readonly string? _schema;

    /// <summary>
    /// The schema that holds the tables (created on first use); one schema is one swarm. Null (the default): the first
    /// entry of the connection string's <c>Search Path</c>, else <c>agentlocks</c>, so a connection string alone can
    /// name the swarm (the CLI's <c>--postgres</c> has nothing else). Lowercase letters, digits and <c>_</c>, starting
    /// with a letter or <c>_</c>, at most 63 characters.
    /// </summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { Schema = "swarm_a" }</c></remarks>
    /// <exception cref="AgentLocksException"><c>INVALID_ARGS</c> when the name breaks the rule.</exception>
    public string? Schema
    {
        get => _schema;
        init => _schema = value is null ? null : ValidSchema(value, "PostgreSQL schema name");
    }

    /// <summary>
    /// The clock for timers only (automatic renewal, the interval between connection heartbeats). Lease times always
    /// come from the server's clock, so machines with skewed clocks still agree on who holds what; the wait for a
    /// heartbeat's answer is real time, since it bounds a network round trip.
    /// </summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { TimeProvider = fakeTime }</c></remarks>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// How often a watched connection (an identity-lock holder's, a reservation store's) is checked when nothing else
    /// is heard from the server, and how long a check waits for its answer; a dead connection fires the handles'
    /// <c>HandleLost</c>, so a network that went silent is reported within two intervals. A server that ends the
    /// connection is noticed at once, without waiting for this. Default 5 seconds.
    /// </summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { HeartbeatInterval = TimeSpan.FromSeconds(2) }</c></remarks>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The TTL bounds and default of reservations; beadboard's (5 to 1440 minutes, 120 by default) unless set.</summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { Policy = ReservationPolicy.Default }</c></remarks>
    public ReservationPolicy Policy { get; init; } = ReservationPolicy.Default;

    /// <summary>Where the store's log events go (category <c>AgentLocks</c>); none when null.</summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { LoggerFactory = loggerFactory }</c></remarks>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The factory of the <c>AgentLocks</c> meter (a container's); the process-wide meter when null.</summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { MeterFactory = services.GetRequiredService&lt;IMeterFactory&gt;() }</c></remarks>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// Whether a reservation store keeps a watched connection for its handles' <c>HandleLost</c>. The CLI turns it
    /// off: its handles end with the command, so nothing would listen.
    /// </summary>
    /// <summary>
    /// The repository scopes are relative to: under it, an absolute scope overlaps its relative form. Null: absolute
    /// and relative scopes never overlap. Every agent of one database should give the same repository.
    /// </summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { Repository = RepositoryRoot.Discover(Environment.CurrentDirectory) }</c></remarks>
    public RepositoryRoot? Repository { get; init; }

    internal bool WatchConnection { get; init; } = true;

    /// <summary>Returns <paramref name="name"/> when it is a schema name this package accepts, else throws <c>INVALID_ARGS</c> naming <paramref name="what"/>.</summary>
    internal static string ValidSchema(string name, string what)
        => SchemaName().IsMatch(name)
            ? name
            : throw new AgentLocksException(ErrorCode.InvalidArgs,
                $"{what} '{name}' must be 1 to 63 lowercase letters, digits or '_', starting with a letter or '_'.");

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}
