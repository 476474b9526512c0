using AgentLocks.Postgres;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentLocks.Extensions.Hosting;

/// <summary>
/// The store's health, read without changing anything. File store: the store mutex is not held longer than
/// <see cref="AgentLocksOptions.WedgedMutexAfter"/> (wedged), and every file reads (none damaged, none unreadable).
/// File times are the wall clock's, so this compares them with the wall clock, whatever the container's clock is.
/// PostgreSQL: the server answers and the schema is migrated to the newest version this package knows.
/// </summary>
/// <remarks>Usage: <c>services.AddHealthChecks().AddAgentLocks();</c></remarks>
public sealed class AgentLocksHealthCheck(IReservationStore store, IOptions<AgentLocksOptions> options) : IHealthCheck
{
    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return store switch
            {
                FileReservationStore file => await CheckFileStoreAsync(file.Files, cancellationToken).ConfigureAwait(false),
                PostgresReservationStore postgres => await CheckPostgresAsync(postgres, cancellationToken).ConfigureAwait(false),
                _ => HealthCheckResult.Healthy($"{store.GetType().Name} has nothing to check."),
            };
        }
        catch (Exception e) when (e is AgentLocksException or IOException or UnauthorizedAccessException or NpgsqlException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The store cannot be read: {e.Message}", e);
        }
    }

    private async Task<HealthCheckResult> CheckFileStoreAsync(FileReservationPersistence files, CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object> { ["root"] = files.Root };
        var mutex = await StoreMutex.InspectAsync(files.LockPath, removeStale: false, cancellationToken).ConfigureAwait(false);
        if (mutex.Verdict == LockVerdict.Held
            && DateTime.UtcNow - File.GetLastWriteTimeUtc(files.LockPath) is var heldFor
            && heldFor > options.Value.WedgedMutexAfter)
        {
            return HealthCheckResult.Unhealthy(
                $"The store mutex {files.LockPath} is wedged: held by {mutex.Holder} for {heldFor.TotalSeconds:0} s.", data: data);
        }

        var damaged = await files.FindDamagedAsync(cancellationToken).ConfigureAwait(false);
        if (damaged.Count > 0)
        {
            data["damaged"] = damaged.Select(d => d.Path).ToArray();
            return HealthCheckResult.Unhealthy(
                $"The store is damaged: {string.Join("; ", damaged.Select(d => $"{d.Path}: {d.Reason}"))}. Run 'agentlocks doctor'.", data: data);
        }

        return mutex.Verdict == LockVerdict.Stale
            ? HealthCheckResult.Degraded($"The store mutex {files.LockPath} was left by {mutex.Holder}; the next writer removes it.", data: data)
            : HealthCheckResult.Healthy("The file store reads.", data);
    }

    private static async Task<HealthCheckResult> CheckPostgresAsync(PostgresReservationStore store, CancellationToken cancellationToken)
    {
        var state = await store.ReadSchemaStateAsync(upgrade: false, cancellationToken).ConfigureAwait(false);
        var data = new Dictionary<string, object> { ["where"] = state.Where, ["schema"] = state.Schema, ["applied"] = state.Applied, ["known"] = state.Known };
        return state.Applied < state.Known
            ? HealthCheckResult.Degraded(
                $"Schema {state.Schema} at {state.Where} is at version {state.Applied} of {state.Known}; the first write migrates it (or run 'agentlocks doctor --fix').", data: data)
            : HealthCheckResult.Healthy($"PostgreSQL at {state.Where} answers; schema {state.Schema} is migrated.", data);
    }
}
