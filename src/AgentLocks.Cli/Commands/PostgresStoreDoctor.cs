using System.Text.Json.Nodes;
using AgentLocks.Postgres;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// <c>doctor</c> on PostgreSQL: the swarm's schema (older or newer than this tool's; reading upgrades an older one,
/// so without <c>--fix</c> nothing in it is read), and the identity-lock rows of the workers whose id starts with
/// <c>--under PREFIX</c> (all without it). The lock store says which rows are stale, <c>lock collisions</c> which
/// live locks lost their tmux session; <c>--fix</c> runs the lock store's own clean.
/// </summary>
internal sealed class PostgresStoreDoctor : StoreDoctor
{
    private readonly PostgresReservationStore _store;
    private readonly string? _prefix;

    private PostgresStoreDoctor(PostgresReservationStore store, CommandContext context, PostgresSchemaState schema)
        : base(store, context)
    {
        _store = store;
        _prefix = context.Optional("under");
        Schema = schema;
    }

    /// <summary>Where the store is and its schema's version, as found before anything else is read.</summary>
    public PostgresSchemaState Schema { get; }

    public override JsonObject Where => new() { ["postgres"] = Schema.Where, ["schema"] = Schema.Schema, ["under"] = _prefix };

    public override string LookedAt
        => $"PostgreSQL {Schema.Where}, schema {Schema.Schema}; identity locks {(_prefix is null ? "of every worker" : $"of the workers {_prefix}*")}";

    public override string PathOf(Reservation expired) => $"{Schema.Schema}.reservations/{expired.Id}";

    /// <summary>The doctor of <paramref name="store"/>, which reads where it is and its schema's version (changing nothing).</summary>
    public static async Task<PostgresStoreDoctor> OpenAsync(PostgresReservationStore store, CommandContext context, CancellationToken cancellationToken)
        => new(store, context, await store.ReadSchemaStateAsync(upgrade: false, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Reports a schema older or newer than this tool's; true when the rows can be read without changing the schema
    /// (reading upgrades an older one, so without <c>--fix</c> it is not read).
    /// </summary>
    public override async Task<bool> CheckStoreAsync(DoctorCommand.Report report, CancellationToken cancellationToken)
    {
        var schema = Schema;
        var path = $"{schema.Schema}.schema_version";
        if (schema.Applied == 0)
        {
            report.NotChecked.Add($"locks and reservations: schema {schema.Schema} does not exist yet (the first command creates it)");
            return false;
        }

        if (schema.Applied > schema.Known)
        {
            // Migrations only add, or drop what no version needs, so this tool still works against it; the newer one knows tables this one cannot check.
            report.Add("schema-newer", path, $"at version {schema.Applied}; this agentlocks knows up to {schema.Known}",
                "left: a newer agentlocks upgraded it, and this one still works with it", repair: "install the newer agentlocks on this machine");
        }
        else if (schema.Applied < schema.Known)
        {
            var upgraded = report.Fix ? await _store.ReadSchemaStateAsync(upgrade: true, cancellationToken).ConfigureAwait(false) : null;
            report.Add("schema-outdated", path, $"at version {schema.Applied}; this agentlocks uses {schema.Known}", $"upgraded to version {upgraded?.Applied}");
            if (upgraded is null)
            {
                report.NotChecked.Add("locks and reservations: not read while the schema is outdated (reading upgrades it)");
                return false;
            }
        }

        return true;
    }

    /// <summary>The lock rows live in the schema: when it was not read, why is reported already.</summary>
    protected override bool ChecksLocks(bool storeReadable) => storeReadable;

    protected override string? LocksUnder => _prefix;

    protected override string ReleaseCommand => "agentlocks --postgres ... lock release";

    protected override string LockPath(WorkerLockStatus status) => $"{Schema.Schema}.worker_locks/{status.Worker}";
}
