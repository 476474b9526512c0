using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace AgentLocks.Extensions.Hosting;

/// <summary>
/// Which store the container gives out and how it is set up; bound from the <c>AgentLocks</c> configuration section,
/// then the code's <c>AddAgentLocks(o => ...)</c> applies on top. Exactly one of <see cref="FileStoreRoot"/> and
/// <see cref="PostgresConnectionString"/> (or a data source) must be set.
/// </summary>
/// <remarks>Usage: <c>services.AddAgentLocks(o => o.UseFileStore(root));</c> or <c>"AgentLocks": { "FileStoreRoot": "/srv/agents" }</c></remarks>
public sealed class AgentLocksOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    /// <remarks>Usage: <c>configuration.GetSection(AgentLocksOptions.SectionName)</c></remarks>
    public const string SectionName = "AgentLocks";

    /// <summary>The file store's root (beadboard's layout); null when the store is PostgreSQL.</summary>
    /// <remarks>Usage: <c>o.FileStoreRoot = "/home/me/.beadboard/agent";</c></remarks>
    public string? FileStoreRoot { get; set; }

    /// <summary>The PostgreSQL connection string; null when the store is the file store or a data source is given.</summary>
    /// <remarks>Usage: <c>o.PostgresConnectionString = "Host=db;Username=agents;Database=swarm";</c></remarks>
    public string? PostgresConnectionString { get; set; }

    /// <summary>The PostgreSQL schema (one schema is one swarm); see <c>PostgresStoreOptions.Schema</c>.</summary>
    /// <remarks>Usage: <c>o.PostgresSchema = "swarm_a";</c></remarks>
    public string? PostgresSchema { get; set; }

    /// <summary>How long the file store waits for its mutex held by a live process before failing with <c>LOCKED</c>.</summary>
    /// <remarks>Usage: <c>"LockTimeout": "00:00:05"</c></remarks>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often PostgreSQL connections are checked; see <c>PostgresStoreOptions.HeartbeatInterval</c>.</summary>
    /// <remarks>Usage: <c>"HeartbeatInterval": "00:00:02"</c></remarks>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the store mutex may be held before the health check calls it wedged.</summary>
    /// <remarks>Usage: <c>"WedgedMutexAfter": "00:01:00"</c></remarks>
    public TimeSpan WedgedMutexAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The TTLs the store grants (set in code; not bound from configuration).</summary>
    /// <remarks>Usage: <c>o.Policy = new ReservationPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(1));</c></remarks>
    public ReservationPolicy Policy { get; set; } = ReservationPolicy.Default;

    /// <summary>A data source the application owns (set by <see cref="UsePostgres(NpgsqlDataSource)"/>; not bound from configuration).</summary>
    internal NpgsqlDataSource? PostgresDataSource { get; private set; }

    /// <summary>
    /// Reads the section's settings that are present (by hand, not by reflection, so it trims and compiles ahead of
    /// time); a value that does not parse is an error naming its key.
    /// </summary>
    internal void Bind(IConfiguration section)
    {
        FileStoreRoot = section[nameof(FileStoreRoot)] ?? FileStoreRoot;
        PostgresConnectionString = section[nameof(PostgresConnectionString)] ?? PostgresConnectionString;
        PostgresSchema = section[nameof(PostgresSchema)] ?? PostgresSchema;
        LockTimeout = Duration(section, nameof(LockTimeout)) ?? LockTimeout;
        HeartbeatInterval = Duration(section, nameof(HeartbeatInterval)) ?? HeartbeatInterval;
        WedgedMutexAfter = Duration(section, nameof(WedgedMutexAfter)) ?? WedgedMutexAfter;
    }

    /// <summary>Uses the file store under <paramref name="root"/>.</summary>
    /// <remarks>Usage: <c>services.AddAgentLocks(o => o.UseFileStore("/srv/agents"));</c></remarks>
    public AgentLocksOptions UseFileStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        (FileStoreRoot, PostgresConnectionString, PostgresDataSource) = (root, null, null);
        return this;
    }

    /// <summary>Uses PostgreSQL through a connection string (the store owns its data source).</summary>
    /// <remarks>Usage: <c>services.AddAgentLocks(o => o.UsePostgres("Host=db;Username=agents;Database=swarm"));</c></remarks>
    public AgentLocksOptions UsePostgres(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        (FileStoreRoot, PostgresConnectionString, PostgresDataSource) = (null, connectionString, null);
        return this;
    }

    /// <summary>Uses PostgreSQL through a data source the application owns and disposes.</summary>
    /// <remarks>Usage: <c>services.AddAgentLocks(o => o.UsePostgres(dataSource));</c></remarks>
    public AgentLocksOptions UsePostgres(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        (FileStoreRoot, PostgresConnectionString, PostgresDataSource) = (null, null, dataSource);
        return this;
    }

    private static TimeSpan? Duration(IConfiguration section, string key)
        => section[key] is not { } text ? null
            : TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero ? value
            : throw new InvalidOperationException($"{SectionName}:{key} must be a positive duration such as 00:00:10, not '{text}'.");

    /// <summary>Whether the options name PostgreSQL.</summary>
    internal bool IsPostgres => PostgresDataSource is not null || PostgresConnectionString is not null;

    /// <summary>Throws when the options name no store or two.</summary>
    internal void Validate()
    {
        var named = (FileStoreRoot is null ? 0 : 1) + (IsPostgres ? 1 : 0);
        if (named != 1)
        {
            throw new InvalidOperationException(named == 0
                ? $"AgentLocks has no store: set {SectionName}:FileStoreRoot or {SectionName}:PostgresConnectionString, or call UseFileStore/UsePostgres."
                : $"AgentLocks has two stores: set only one of {SectionName}:FileStoreRoot and {SectionName}:PostgresConnectionString.");
        }
    }
}
