using System.Text.Json.Nodes;
using AgentLocks.Postgres;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// <c>doctor</c> with <c>--postgres</c>: the same findings, envelope and table as on files, over the swarm's schema.
/// Like the file doctor it decides nothing itself: the lock store says which rows are stale, <c>lock collisions</c>
/// which live locks lost their tmux session, the core which reservations expired; <c>--fix</c> runs the store's own
/// clean and sweep. <c>--under PREFIX</c> limits the lock checks to workers whose id starts with PREFIX.
/// </summary>
internal static class PostgresDoctor
{
    public static async Task<CommandResult> RunAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var report = new DoctorCommand.Report(context.Flag("fix"));
        var prefix = context.Optional("under");
        var store = Backends.OpenPostgresReservations(context);
        var schema = await store.ReadSchemaStateAsync(upgrade: false, cancellationToken).ConfigureAwait(false);
        if (await CheckSchemaAsync(store, schema, report, cancellationToken).ConfigureAwait(false))
        {
            await CheckLocksAsync(Backends.OpenWorkerLocks(context), prefix, context.TmuxSockets() ?? [null], schema.Schema, report, cancellationToken).ConfigureAwait(false);
            foreach (var expired in await store.ExpiredAsync(sweep: report.Fix, cancellationToken).ConfigureAwait(false))
            {
                report.AddExpired($"{schema.Schema}.reservations/{expired.Id}", expired);
            }
        }

        var data = report.ToJson(new JsonObject { ["postgres"] = schema.Where, ["schema"] = schema.Schema, ["under"] = prefix });
        var locks = prefix is null ? "of every worker" : $"of the workers {prefix}*";
        return new CommandResult(data, DoctorCommand.Human(report, $"PostgreSQL {schema.Where}, schema {schema.Schema}; identity locks {locks}"));
    }

    /// <summary>
    /// Reports a schema older or newer than this tool's; true when the rows can be read without changing the schema
    /// (reading upgrades an older one, so without <c>--fix</c> it is not read).
    /// </summary>
    private static async Task<bool> CheckSchemaAsync(PostgresReservationStore store, PostgresSchemaState schema, DoctorCommand.Report report, CancellationToken cancellationToken)
    {
        var path = $"{schema.Schema}.schema_version";
        if (schema.Applied == 0)
        {
            report.NotChecked.Add($"locks and reservations: schema {schema.Schema} does not exist yet (the first command creates it)");
            return false;
        }

        if (schema.Applied > schema.Known)
        {
            // Migrations only add, so this tool still works against it; the newer one knows tables this one cannot check.
            report.Add("schema-newer", path, $"at version {schema.Applied}; this agentlocks knows up to {schema.Known}",
                "left: a newer agentlocks upgraded it, and this one still works with it", repair: "install the newer agentlocks on this machine");
        }
        else if (schema.Applied < schema.Known)
        {
            var upgraded = report.Fix ? await store.ReadSchemaStateAsync(upgrade: true, cancellationToken).ConfigureAwait(false) : null;
            report.Add("schema-outdated", path, $"at version {schema.Applied}; this agentlocks uses {schema.Known}", $"upgraded to version {upgraded?.Applied}");
            if (upgraded is null)
            {
                report.NotChecked.Add("locks and reservations: not read while the schema is outdated (reading upgrades it)");
                return false;
            }
        }

        return true;
    }

    private static async Task CheckLocksAsync(
        IWorkerIdentityLocks store, string? prefix, IReadOnlyList<string?> tmuxSockets, string schema, DoctorCommand.Report report, CancellationToken cancellationToken)
    {
        var scan = await store.FindAllAsync(prefix, cancellationToken).ConfigureAwait(false);
        var locks = scan.Locks;
        var cleaned = report.Fix && locks.Any(s => s.State == WorkerLockState.Stale)
            ? (await store.CleanStaleAsync(prefix, cancellationToken).ConfigureAwait(false)).Cleaned.Select(s => s.Worker).ToHashSet()
            : [];
        foreach (var stale in locks.Where(s => s.State == WorkerLockState.Stale))
        {
            report.Add("stale-lock", Row(schema, stale), stale.Reason,
                cleaned.Contains(stale.Worker) ? "removed" : "left: it was taken again since it was judged");
        }

        try
        {
            var collisions = (await WorkerLockCollisionFinder.FindAsync(scan, tmuxSockets, LockEnvironment.Default, cancellationToken).ConfigureAwait(false)).Collisions;
            foreach (var gone in collisions.Where(c => c.Kind == WorkerLockCollisionKind.SessionNotFound))
            {
                // The holder lives: ending it is a decision for people, not for doctor.
                report.Add("session-gone", Row(schema, gone.Status), gone.Message, "left: its process is alive",
                    repair: $"not by --fix: end pid {gone.Status.Holder?.Pid}, or agentlocks --postgres ... lock release --force --worker {gone.Status.Worker}");
            }
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.InternalError)
        {
            report.NotChecked.Add("tmux sessions: " + e.Message);
        }
    }

    private static string Row(string schema, WorkerLockStatus status) => $"{schema}.worker_locks/{status.Worker}";
}
