using System.Globalization;
using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// Worker identity locks in PostgreSQL: one live holder per <see cref="WorkerId"/> across every machine that
/// shares the database. A lock is bound to its holder's connection (a session advisory lock), so it is released
/// the moment the holder's process exits or is killed, and, when its machine dies or is cut off, once the server
/// drops the silent session (<c>idle_session_timeout</c>, six heartbeats; 30 seconds by default).
/// A row in <c>worker_locks</c> says who the holder is (host, PID, session, since when).
/// </summary>
/// <remarks>Usage: <c>await using var locks = new PostgresWorkerIdentityLock(connectionString); await using var held = await locks.AcquireAsync(WorkerId.Parse("polecat-1"));</c></remarks>
public sealed class PostgresWorkerIdentityLock : IAsyncDisposable
{
    private readonly PostgresConnector _connector;

    /// <summary>Creates the lock store on a connection string; the schema is created on first use.</summary>
    /// <remarks>Usage: <c>new PostgresWorkerIdentityLock("Host=db;Username=agents;Database=swarm")</c></remarks>
    /// <exception cref="AgentLocksException"><c>INVALID_ARGS</c> when the connection string is malformed.</exception>
    public PostgresWorkerIdentityLock(string connectionString, PostgresStoreOptions? options = null)
    {
        _connector = new PostgresConnector(connectionString, options);
    }

    /// <summary>Creates the lock store on a data source the caller owns (and disposes).</summary>
    /// <remarks>Usage: <c>new PostgresWorkerIdentityLock(dataSource, new PostgresStoreOptions { Schema = "swarm_a" })</c></remarks>
    public PostgresWorkerIdentityLock(NpgsqlDataSource dataSource, PostgresStoreOptions? options = null)
    {
        _connector = new PostgresConnector(dataSource, options);
    }

    /// <summary>Takes the worker identity, or throws <c>LOCKED</c> naming the live holder.</summary>
    /// <remarks>Usage: <c>await using var held = await locks.AcquireAsync(worker, SessionId.Parse("gt-polecat-1"), ct);</c></remarks>
    public Task<PostgresWorkerLockHandle> AcquireAsync(WorkerId worker, SessionId? session = null, CancellationToken cancellationToken = default)
        => AcquireAsync(worker, session, Environment.ProcessId, cancellationToken);

    /// <summary>Takes the worker identity on behalf of <paramref name="holderPid"/> on this host, or throws <c>LOCKED</c> naming the live holder.</summary>
    internal async Task<PostgresWorkerLockHandle> AcquireAsync(WorkerId worker, SessionId? session, int holderPid, CancellationToken cancellationToken)
    {
        var handle = await TryAcquireAsync(worker, session, holderPid, cancellationToken).ConfigureAwait(false);
        if (handle is not null)
        {
            return handle;
        }

        var holder = await GetStatusAsync(worker, cancellationToken).ConfigureAwait(false);
        throw new AgentLocksException(ErrorCode.Locked,
            $"Worker '{worker}' is locked by PID {holder.Pid} on {holder.Hostname}"
            + (holder.Session is { } s ? $" (session {s})" : "")
            + (holder.AcquiredAt is { } at ? $" since {at.UtcDateTime:O}" : "") + ".");
    }

    /// <summary>Takes the worker identity; null when a live holder has it.</summary>
    /// <remarks>Usage: <c>await using var held = await locks.TryAcquireAsync(worker); if (held is null) { return; }</c></remarks>
    public Task<PostgresWorkerLockHandle?> TryAcquireAsync(WorkerId worker, SessionId? session = null, CancellationToken cancellationToken = default)
        => TryAcquireAsync(worker, session, Environment.ProcessId, cancellationToken);

    /// <summary>
    /// Takes the worker identity on behalf of <paramref name="holderPid"/> on this host (the CLI's keeper holds the
    /// connection for a shell or agent that cannot); null when a live holder has it.
    /// </summary>
    internal async Task<PostgresWorkerLockHandle?> TryAcquireAsync(WorkerId worker, SessionId? session, int holderPid, CancellationToken cancellationToken)
    {
        RequireValid(worker);
        var ownerToken = Guid.NewGuid().ToString("N");
        var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Taking the lock and recording the holder is one statement: nobody sees a holder without its row.
            using var command = new NpgsqlCommand($"""
                WITH timeouts AS ({SessionTimeouts(_connector.Options.HeartbeatInterval)}),
                got AS (SELECT pg_try_advisory_lock({WorkerKey("$1")}) AS ok FROM timeouts)
                INSERT INTO {Table} AS w (worker_id, hostname, pid, session_id, acquired_at, backend_pid, owner_token)
                SELECT $1, $2, $3, $4, now(), pg_backend_pid(), $5 FROM got WHERE got.ok
                ON CONFLICT (worker_id) DO UPDATE SET hostname = excluded.hostname, pid = excluded.pid,
                    session_id = excluded.session_id, acquired_at = excluded.acquired_at,
                    backend_pid = excluded.backend_pid, owner_token = excluded.owner_token
                RETURNING w.acquired_at, w.backend_pid;
                """, connection);
            command.Parameters.Add(new() { Value = worker.Value });
            command.Parameters.Add(new() { Value = Environment.MachineName });
            command.Parameters.Add(new() { Value = holderPid });
            command.Parameters.Add(new() { Value = session is { } id ? id.Value : DBNull.Value });
            command.Parameters.Add(new() { Value = ownerToken });
            var granted = await ReadGrantAsync(command, cancellationToken).ConfigureAwait(false);
            if (granted is not var (acquiredAt, backendPid))
            {
                await Discard(connection).ConfigureAwait(false);
                return null;
            }

            var holder = new PostgresWorkerLockStatus
            {
                Worker = worker,
                State = PostgresWorkerLockState.Locked,
                Hostname = Environment.MachineName,
                Pid = holderPid,
                Session = session,
                AcquiredAt = acquiredAt,
                BackendPid = backendPid,
            };
            return new PostgresWorkerLockHandle(_connector, connection, holder, ownerToken);
        }
        catch (Exception e)
        {
            await Discard(connection).ConfigureAwait(false);
            if (PostgresConnector.IsDriverFailure(e, cancellationToken))
            {
                throw _connector.Translate(e);
            }

            throw;
        }
    }

    private static async Task<(DateTimeOffset AcquiredAt, int BackendPid)?> ReadGrantAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt32(1))
            : null;
    }

    /// <summary>Who holds the worker identity, if anyone, as the server sees it now.</summary>
    /// <remarks>Usage: <c>var status = await locks.GetStatusAsync(worker, ct);</c></remarks>
    public async Task<PostgresWorkerLockStatus> GetStatusAsync(WorkerId worker, CancellationToken cancellationToken = default)
    {
        RequireValid(worker);
        var found = await QueryAsync($"SELECT {StatusColumns} FROM {Table} w WHERE w.worker_id = $1", worker.Value, cancellationToken).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : new PostgresWorkerLockStatus { Worker = worker, State = PostgresWorkerLockState.Unlocked };
    }

    /// <summary>Every recorded holder, live or stale, ordered by worker; only workers whose id starts with <paramref name="workerPrefix"/> when one is given.</summary>
    /// <remarks>Usage: <c>foreach (var s in await locks.ListAsync("polecat-", ct)) Console.WriteLine($"{s.Worker} {s.State}");</c></remarks>
    public Task<IReadOnlyList<PostgresWorkerLockStatus>> ListAsync(string? workerPrefix = null, CancellationToken cancellationToken = default)
        => QueryAsync($"SELECT {StatusColumns} FROM {Table} w WHERE starts_with(w.worker_id, $1) ORDER BY w.worker_id", workerPrefix ?? "", cancellationToken);

    /// <summary>
    /// Removes the rows of holders that died (state <see cref="PostgresWorkerLockState.Stale"/>), only of workers whose
    /// id starts with <paramref name="workerPrefix"/> when one is given, and returns them. Tidying only: an acquire
    /// replaces a stale row anyway. A worker whose lock is held at the moment of the delete is never touched.
    /// </summary>
    /// <remarks>Usage: <c>var removed = await locks.CleanStaleAsync(cancellationToken: ct); Console.WriteLine(removed.Count);</c></remarks>
    public async Task<IReadOnlyList<PostgresWorkerLockStatus>> CleanStaleAsync(string? workerPrefix = null, CancellationToken cancellationToken = default)
    {
        var removed = await QueryAsync(
            $"DELETE FROM {Table} w WHERE starts_with(w.worker_id, $1) AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE {HeldBy("w.worker_id")}) RETURNING {StatusColumns}",
            workerPrefix ?? "",
            cancellationToken).ConfigureAwait(false);
        return [.. removed.OrderBy(s => s.Worker)];
    }

    /// <summary>
    /// Releases the worker identity whoever holds it, by ending the holder's server session
    /// (<c>pg_terminate_backend</c>: the caller needs the holder's role or <c>pg_signal_backend</c>); the holder's
    /// handle then reports <c>HandleLost</c>. Returns false when nothing was held or recorded.
    /// </summary>
    /// <remarks>Usage: <c>await locks.ForceReleaseAsync(worker, ct);</c></remarks>
    public async Task<bool> ForceReleaseAsync(WorkerId worker, CancellationToken cancellationToken = default)
    {
        RequireValid(worker);
        return await EndAsync(worker, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Releases the worker identity held for <paramref name="holderPid"/> on this host, by ending the holder's server
    /// session as <see cref="ForceReleaseAsync"/> does; <c>NOT_LOCKED</c> when it is free, stale, or someone else's.
    /// Returns the holder that was released.
    /// </summary>
    internal async Task<PostgresWorkerLockStatus> ReleaseHeldByAsync(WorkerId worker, int holderPid, CancellationToken cancellationToken)
    {
        var status = await GetStatusAsync(worker, cancellationToken).ConfigureAwait(false);
        if (status is not { State: PostgresWorkerLockState.Locked, BackendPid: { } backend } || status.Pid != holderPid || status.Hostname != Environment.MachineName)
        {
            throw new AgentLocksException(ErrorCode.NotLocked, status.State == PostgresWorkerLockState.Locked
                ? $"Worker '{worker}' is not locked by process {holderPid} on {Environment.MachineName}: PID {status.Pid} on {status.Hostname} holds it. A force release ends anyone's lock."
                : $"Worker '{worker}' is not locked ({status.State.ToString().ToLowerInvariant()}).");
        }

        // Only the session read above: a holder that took the worker in between is not touched.
        return await EndAsync(worker, backend, cancellationToken).ConfigureAwait(false)
            ? status
            : throw new AgentLocksException(ErrorCode.NotLocked, $"Worker '{worker}' was released by someone else meanwhile.");
    }

    /// <summary>Disposes the data source when this instance created it; held handles keep their connections.</summary>
    /// <remarks>Usage: <c>await using var locks = new PostgresWorkerIdentityLock(connectionString);</c></remarks>
    public ValueTask DisposeAsync() => _connector.DisposeAsync();

    private string Table => _connector.Schema.Table("worker_locks");

    /// <summary>The advisory-lock key of a worker, as SQL over the text expression <paramref name="worker"/>.</summary>
    private string WorkerKey(string worker) => $"hashtextextended('agentlocks:{_connector.Schema.Name}:worker:' || {worker}, 0)";

    /// <summary>A pg_locks condition: row <c>l</c> is a granted session lock on the worker key in this database.</summary>
    private string HeldBy(string worker) => $"""
        l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = ((({WorkerKey(worker)}) >> 32) & 4294967295)::oid
        AND l.objid = (({WorkerKey(worker)}) & 4294967295)::oid
        """;

    /// <summary>The columns <see cref="QueryAsync"/> reads, over <c>w</c>: the holder, and whether its backend still holds the lock.</summary>
    private string StatusColumns => $"""
        w.worker_id, w.hostname, w.pid, w.session_id, w.acquired_at, w.backend_pid,
        EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = w.backend_pid AND {HeldBy("w.worker_id")})
        """;

    /// <summary>
    /// Ends the server session holding <paramref name="worker"/> (only <paramref name="backendPid"/>'s, when given)
    /// and removes its row; true when something was held or recorded.
    /// </summary>
    private async Task<bool> EndAsync(WorkerId worker, int? backendPid, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new($"SELECT count(*) FILTER (WHERE pg_terminate_backend(l.pid, 5000)) FROM pg_locks l WHERE {HeldBy("$1")} AND ($2::integer IS NULL OR l.pid = $2)"),
                    new($"DELETE FROM {Table} WHERE worker_id = $1 AND ($2::integer IS NULL OR backend_pid = $2)"),
                },
            };
            foreach (var command in batch.BatchCommands)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = worker.Value });
                command.Parameters.Add(new NpgsqlParameter { Value = backendPid is { } pid ? pid : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            }

            await using var batchScope = batch.ConfigureAwait(false);
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var terminated = reader.GetInt64(0) > 0;
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            return terminated || batch.BatchCommands[1].RecordsAffected > 0;
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, cancellationToken))
        {
            throw _connector.Translate(e);
        }
    }

    /// <summary>Runs <paramref name="sql"/> (one statement yielding <see cref="StatusColumns"/>, with <paramref name="parameter"/> as <c>$1</c>) and reads the holders.</summary>
    private async Task<IReadOnlyList<PostgresWorkerLockStatus>> QueryAsync(string sql, string parameter, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new() { Value = parameter });

            var result = new List<PostgresWorkerLockStatus>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Add(new PostgresWorkerLockStatus
                {
                    Worker = WorkerId.Parse(reader.GetString(0)),
                    State = reader.GetBoolean(6) ? PostgresWorkerLockState.Locked : PostgresWorkerLockState.Stale,
                    Hostname = reader.GetString(1),
                    Pid = reader.GetInt32(2),
                    Session = reader.IsDBNull(3) ? null : SessionId.Parse(reader.GetString(3)),
                    AcquiredAt = reader.GetFieldValue<DateTimeOffset>(4),
                    BackendPid = reader.GetInt32(5),
                });
            }

            return result;
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, cancellationToken))
        {
            throw _connector.Translate(e);
        }
    }

    /// <summary>
    /// The server drops a holder's session that stays silent for six heartbeats (its machine died or was cut off),
    /// which releases the lock; TCP keepalives notice a dead peer sooner.
    /// </summary>
    private static string SessionTimeouts(TimeSpan heartbeat)
    {
        var idle = (long)Math.Max(heartbeat.TotalMilliseconds * 6, 1000);
        var keepalive = (long)Math.Max(heartbeat.TotalSeconds, 1);
        return string.Create(CultureInfo.InvariantCulture, $"""
            SELECT set_config('idle_session_timeout', '{idle}', false), set_config('tcp_keepalives_idle', '{keepalive}', false),
                   set_config('tcp_keepalives_interval', '{keepalive}', false), set_config('tcp_keepalives_count', '3', false)
            """);
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives a holder's connection back: a session lock outlives a failed statement, so every lock of the session
    /// is dropped first; a connection too broken for that is not pooled again, and its server session ends.
    /// </summary>
    internal static async Task Discard(NpgsqlConnection connection)
    {
        try
        {
            await ExecuteAsync(connection, ResetSession, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, CancellationToken.None) || e is InvalidOperationException)
        {
            // Broken: disposing below does not pool it, and the server ends its session with its locks.
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Undoes what a holder set on its session, so the pooled connection goes back clean.</summary>
    internal const string ResetSession = """
        SELECT pg_advisory_unlock_all();
        RESET idle_session_timeout; RESET tcp_keepalives_idle; RESET tcp_keepalives_interval; RESET tcp_keepalives_count;
        """;

    private static void RequireValid(WorkerId worker)
    {
        if (worker.Value.Length == 0)
        {
            throw new AgentLocksException(ErrorCode.InvalidArgs, "A worker id is required (default(WorkerId) is not one).");
        }
    }
}
