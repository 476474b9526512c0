using System.Text.RegularExpressions;

namespace AgentLocks.Postgres;

/// <summary>Settings shared by <c>PostgresReservationStore</c> and <see cref="PostgresWorkerIdentityLock"/>.</summary>
/// <remarks>Usage: <c>new PostgresReservationStore(connectionString, new PostgresStoreOptions { Schema = "swarm_a" })</c></remarks>
public sealed partial record PostgresStoreOptions
{
    private readonly string _schema = "agentlocks";

    /// <summary>
    /// The schema that holds the tables (created on first use); one schema is one swarm. Lowercase letters,
    /// digits and <c>_</c>, starting with a letter or <c>_</c>, at most 63 characters.
    /// </summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { Schema = "swarm_a" }</c></remarks>
    /// <exception cref="AgentLocksException"><c>INVALID_ARGS</c> when the name breaks the rule.</exception>
    public string Schema
    {
        get => _schema;
        init => _schema = SchemaName().IsMatch(value)
            ? value
            : throw new AgentLocksException(ErrorCode.InvalidArgs,
                $"PostgreSQL schema name '{value}' must be 1 to 63 lowercase letters, digits or '_', starting with a letter or '_'.");
    }

    /// <summary>
    /// The clock for timers only (automatic renewal, connection heartbeats). Lease times always come from the
    /// server's clock, so machines with skewed clocks still agree on who holds what.
    /// </summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { TimeProvider = fakeTime }</c></remarks>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// How often an identity-lock holder checks that its connection is alive when nothing else is heard from the
    /// server; a dead connection fires the handle's <c>HandleLost</c>. Default 5 seconds.
    /// </summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { HeartbeatInterval = TimeSpan.FromSeconds(2) }</c></remarks>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The TTL bounds and default of reservations; beadboard's (5 to 1440 minutes, 120 by default) unless set.</summary>
    /// <remarks>Usage: <c>new PostgresStoreOptions { Policy = ReservationPolicy.Default }</c></remarks>
    public ReservationPolicy Policy { get; init; } = ReservationPolicy.Default;

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}
