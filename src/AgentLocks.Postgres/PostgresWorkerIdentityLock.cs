using System.Globalization;
using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// The identity lock of one worker in PostgreSQL (<see cref="IWorkerIdentityLock"/>), from
/// <see cref="PostgresWorkerIdentityLocks.ForWorker(WorkerId)"/>. The lock is held by the handle's own connection,
/// so it lives exactly as long as that connection: a holder PID given in <see cref="WorkerLockRequest.HolderPid"/>
/// is recorded (and must be running) but does not keep the lock, and <see cref="WorkerLockState.ForeignHost"/> is
/// never reported, since the server sees every host's connections. Releasing or forcing ends the holder's server
/// session (<c>pg_terminate_backend</c>: the caller needs the holder's role or <c>pg_signal_backend</c>).
/// </summary>
/// <remarks>Usage: <c>await using var held = await locks.ForWorker(WorkerId.Parse("polecat-1")).AcquireAsync(new WorkerLockRequest { Session = session }, ct);</c></remarks>
public sealed class PostgresWorkerIdentityLock : IWorkerIdentityLock
{
    private readonly PostgresWorkerIdentityLocks _store;

    internal PostgresWorkerIdentityLock(PostgresWorkerIdentityLocks store, WorkerId worker) => (_store, WorkerId) = (store, worker);

    /// <summary>The worker identity.</summary>
    /// <remarks>Usage: <c>workerLock.WorkerId</c></remarks>
    public WorkerId WorkerId { get; }

    /// <inheritdoc/>
    public string Worker => WorkerId.Value;

    private PostgresConnector Connector => _store.Connector;

    /// <inheritdoc/>
    public async Task<WorkerLockHandle> AcquireAsync(WorkerLockRequest? request = null, CancellationToken cancellationToken = default)
    {
        if (await TryAcquireAsync(request, cancellationToken).ConfigureAwait(false) is { } handle)
        {
            return handle;
        }

        var status = await GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var holder = status.Holder;
        throw new AgentLocksException(ErrorCode.Locked,
            $"Worker '{Worker}' is locked by PID {holder?.Pid} on {holder?.HostName}"
            + (holder?.Session is { } s ? $" (session {s})" : "")
            + (holder is null ? "" : $" since {holder.AcquiredAt.UtcDateTime:O}") + ".");
    }

    /// <inheritdoc/>
    public async Task<WorkerLockHandle?> TryAcquireAsync(WorkerLockRequest? request = null, CancellationToken cancellationToken = default)
    {
        request ??= new WorkerLockRequest();
        _ = request.EffectiveMonitorInterval();
        var environment = _store.Environment;
        var host = request.EffectiveHostName(environment.Processes.HostName);
        var (pid, _) = request.RunningHolder(environment.Processes);
        var ownerToken = Guid.NewGuid().ToString("N");
        var connection = await Connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Taking the lock and recording the holder is one statement: nobody sees a holder without its row. The
            // row it replaces (read in the same snapshot) was stale, since its holder did not hold the lock.
            using var command = new NpgsqlCommand($"""
                WITH timeouts AS ({SessionTimeouts(Connector.Options.HeartbeatInterval)}),
                old AS (SELECT hostname, pid, session_id, acquired_at, backend_pid FROM {_store.Table} WHERE worker_id = $1),
                got AS (SELECT pg_try_advisory_lock({_store.WorkerKey("$1")}) AS ok FROM timeouts),
                granted AS (
                    INSERT INTO {_store.Table} AS w (worker_id, hostname, pid, session_id, acquired_at, backend_pid, owner_token)
                    SELECT $1, $2, $3, $4, now(), pg_backend_pid(), $5 FROM got WHERE got.ok
                    ON CONFLICT (worker_id) DO UPDATE SET hostname = excluded.hostname, pid = excluded.pid,
                        session_id = excluded.session_id, acquired_at = excluded.acquired_at,
                        backend_pid = excluded.backend_pid, owner_token = excluded.owner_token
                    RETURNING w.acquired_at, w.backend_pid)
                SELECT granted.acquired_at, granted.backend_pid, old.* FROM granted LEFT JOIN old ON true;
                """, connection);
            command.Parameters.Add(new() { Value = Worker });
            command.Parameters.Add(new() { Value = host });
            command.Parameters.Add(new() { Value = pid });
            command.Parameters.Add(new() { Value = request.Session is { } id ? id.Value : DBNull.Value });
            command.Parameters.Add(new() { Value = ownerToken });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            WorkerLockInfo info;
            WorkerLockStatus? tookOver;
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    await PostgresWorkerLockHandle.DiscardAsync(connection).ConfigureAwait(false);
                    return null;
                }

                info = new WorkerLockInfo(pid, reader.GetFieldValue<DateTimeOffset>(0), request.Session, host, null, null, ownerToken, reader.GetInt32(1));
                tookOver = reader.IsDBNull(2) ? null : _store.Status(Worker, held: false, PostgresWorkerIdentityLocks.Holder(reader, 2));
            }

            return new PostgresWorkerLockHandle(_store, this, connection, info, tookOver);
        }
        catch (Exception e)
        {
            await PostgresWorkerLockHandle.DiscardAsync(connection).ConfigureAwait(false);
            if (PostgresConnector.IsDriverFailure(e, cancellationToken))
            {
                throw Connector.Translate(e);
            }

            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<WorkerLockStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var found = await _store.QueryAsync($"SELECT {_store.StatusColumns} FROM {_store.Table} w WHERE w.worker_id = $1", Worker, cancellationToken).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : new WorkerLockStatus(Worker, WorkerLockState.Unlocked, null, null, "no holder");
    }

    /// <summary>
    /// Releases the worker identity held for <paramref name="holderPid"/> (default: this process) on this host, by
    /// ending the holder's server session; <c>NOT_LOCKED</c> when it is free, stale, or someone else's.
    /// </summary>
    /// <remarks>Usage: <c>await workerLock.ReleaseAsync(agentPid, ct);</c></remarks>
    public async Task<WorkerLockInfo> ReleaseAsync(int? holderPid = null, CancellationToken cancellationToken = default)
    {
        var pid = holderPid ?? Environment.ProcessId;
        var host = _store.Environment.Processes.HostName;
        var status = await GetStatusAsync(cancellationToken).ConfigureAwait(false);
        if (status is not { State: WorkerLockState.Locked, Holder: { BackendPid: { } backend } holder } || holder.Pid != pid || holder.HostName != host)
        {
            throw new AgentLocksException(ErrorCode.NotLocked, status.State == WorkerLockState.Locked
                ? $"Worker '{Worker}' is not locked by process {pid} on {host}: PID {status.Holder?.Pid} on {status.Holder?.HostName} holds it. A force release ends anyone's lock."
                : $"Worker '{Worker}' is not locked ({status.State.ToWireName()}).");
        }

        // Only the session read above: a holder that took the worker in between is not touched.
        return await EndAsync(backend, cancellationToken).ConfigureAwait(false)
            ? holder
            : throw new AgentLocksException(ErrorCode.NotLocked, $"Worker '{Worker}' was released by someone else meanwhile.");
    }

    /// <summary>
    /// Releases the worker identity whoever holds it, by ending the holder's server session, and removes its row;
    /// returns its status just before, or null when nothing was held or recorded. The holder's handle then reports
    /// <see cref="WorkerLockHandle.HandleLost"/>.
    /// </summary>
    /// <remarks>Usage: <c>var removed = await workerLock.ForceReleaseAsync(ct);</c></remarks>
    public async Task<WorkerLockStatus?> ForceReleaseAsync(CancellationToken cancellationToken = default)
    {
        var before = await GetStatusAsync(cancellationToken).ConfigureAwait(false);
        return await EndAsync(null, cancellationToken).ConfigureAwait(false) ? before : null;
    }

    /// <summary>True while the row carries <paramref name="ownerToken"/> and its connection still holds the lock.</summary>
    internal async Task<bool> IsOwnedAsync(string ownerToken, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await Connector.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = new NpgsqlCommand(
                $"SELECT EXISTS (SELECT 1 FROM {_store.Table} w WHERE w.worker_id = $1 AND w.owner_token = $2 AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = w.backend_pid AND {_store.HeldBy("w.worker_id")}))",
                connection);
            command.Parameters.Add(new() { Value = Worker });
            command.Parameters.Add(new() { Value = ownerToken });
            return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, cancellationToken))
        {
            throw Connector.Translate(e);
        }
    }

    /// <summary>
    /// Ends the server session holding the worker (only <paramref name="backendPid"/>'s, when given) and removes its
    /// row; true when something was held or recorded.
    /// </summary>
    private async Task<bool> EndAsync(int? backendPid, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await Connector.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new($"SELECT count(*) FILTER (WHERE pg_terminate_backend(l.pid, 5000)) FROM pg_locks l WHERE {_store.HeldBy("$1")} AND ($2::integer IS NULL OR l.pid = $2)"),
                    new($"DELETE FROM {_store.Table} WHERE worker_id = $1 AND ($2::integer IS NULL OR backend_pid = $2)"),
                },
            };
            foreach (var command in batch.BatchCommands)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = Worker });
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
            throw Connector.Translate(e);
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
}
