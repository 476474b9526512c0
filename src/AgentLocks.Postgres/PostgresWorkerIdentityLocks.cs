using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// Worker identity locks in PostgreSQL, as <see cref="IWorkerIdentityLocks"/>: one live holder per
/// <see cref="WorkerId"/> across every machine that shares the database. A lock is bound to its holder's connection
/// (a session advisory lock), so it is released the moment the holder's process exits or is killed, and, when its
/// machine dies or is cut off, once the server drops the silent session (<c>idle_session_timeout</c>, six
/// heartbeats; 30 seconds by default). A row in <c>worker_locks</c> says who the holder is (host, PID, session,
/// since when). <c>under</c> is a worker id prefix (null: every worker); a scan reports no problems, since rows
/// cannot be damaged as files can.
/// </summary>
/// <remarks>Usage: <c>await using var locks = new PostgresWorkerIdentityLocks(connectionString); await using var held = await locks.ForWorker(WorkerId.Parse("polecat-1")).AcquireAsync(cancellationToken: ct);</c></remarks>
public sealed class PostgresWorkerIdentityLocks : IWorkerIdentityLocks, IAsyncDisposable
{
    /// <summary>Creates the lock store on a connection string; the schema is created on first use.</summary>
    /// <remarks>Usage: <c>new PostgresWorkerIdentityLocks("Host=db;Username=agents;Database=swarm")</c></remarks>
    /// <exception cref="AgentLocksException"><c>INVALID_ARGS</c> when the connection string is malformed.</exception>
    public PostgresWorkerIdentityLocks(string connectionString, PostgresStoreOptions? options = null)
    {
        Connector = new PostgresConnector(connectionString, options);
    }

    /// <summary>Creates the lock store on a data source the caller owns (and disposes).</summary>
    /// <remarks>Usage: <c>new PostgresWorkerIdentityLocks(dataSource, new PostgresStoreOptions { Schema = "swarm_a" })</c></remarks>
    public PostgresWorkerIdentityLocks(NpgsqlDataSource dataSource, PostgresStoreOptions? options = null)
    {
        Connector = new PostgresConnector(dataSource, options);
    }

    internal PostgresConnector Connector { get; }

    internal string Table => Connector.Schema.Table("worker_locks");

    /// <summary>The columns <see cref="QueryAsync"/> reads, over <c>w</c>: the holder, and whether its backend still holds the lock.</summary>
    internal string StatusColumns => $"""
        w.worker_id, w.hostname, w.pid, w.session_id, w.acquired_at, w.backend_pid,
        EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = w.backend_pid AND {HeldBy("w.worker_id")})
        """;

    /// <summary>The lock of <paramref name="worker"/>.</summary>
    /// <remarks>Usage: <c>await using var held = await locks.ForWorker(WorkerId.Parse("polecat-1")).AcquireAsync(cancellationToken: ct);</c></remarks>
    public PostgresWorkerIdentityLock ForWorker(WorkerId worker)
        => worker.Value.Length > 0
            ? new PostgresWorkerIdentityLock(this, worker)
            : throw new AgentLocksException(ErrorCode.InvalidArgs, "A worker id is required (default(WorkerId) is not one).");

    /// <summary>The lock of the worker id <paramref name="worker"/>; <c>INVALID_ARGS</c> when it is not one (a directory, say).</summary>
    /// <remarks>Usage: <c>IWorkerIdentityLock workerLock = locks.ForWorker("polecat-1");</c></remarks>
    public IWorkerIdentityLock ForWorker(string worker)
        => WorkerId.TryParse(worker, out var id)
            ? ForWorker(id)
            : throw new AgentLocksException(ErrorCode.InvalidArgs, $"On PostgreSQL a worker is named by an id shared by every machine (letters, digits, '.', '_', '-'), not by a path: '{worker}'.");

    /// <inheritdoc/>
    public async Task<WorkerLockScan> FindAllAsync(string? under = null, CancellationToken cancellationToken = default)
        => new(await QueryAsync($"SELECT {StatusColumns} FROM {Table} w WHERE starts_with(w.worker_id, $1) ORDER BY w.worker_id", under ?? "", cancellationToken).ConfigureAwait(false), []);

    /// <summary>
    /// Removes the rows of holders that died, of workers whose id starts with <paramref name="under"/> when given.
    /// Tidying only: an acquire replaces a stale row anyway. A worker whose lock is held at the moment of the
    /// delete is never touched.
    /// </summary>
    /// <remarks>Usage: <c>var removed = await locks.CleanStaleAsync(cancellationToken: ct); Console.WriteLine(removed.Cleaned.Count);</c></remarks>
    public async Task<WorkerLockCleanResult> CleanStaleAsync(string? under = null, CancellationToken cancellationToken = default)
    {
        var removed = await QueryAsync(
            $"DELETE FROM {Table} w WHERE starts_with(w.worker_id, $1) AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE {HeldBy("w.worker_id")}) RETURNING {StatusColumns}",
            under ?? "",
            cancellationToken).ConfigureAwait(false);
        return new([.. removed.OrderBy(s => s.Worker, StringComparer.Ordinal)], []);
    }

    /// <inheritdoc/>
    public async Task<WorkerLockCollisionReport> DetectCollisionsAsync(string? under = null, IReadOnlyList<string?>? tmuxSockets = null, CancellationToken cancellationToken = default)
        => await WorkerLockCollisionFinder.FindAsync(await FindAllAsync(under, cancellationToken).ConfigureAwait(false), tmuxSockets, Environment, cancellationToken).ConfigureAwait(false);

    /// <summary>Disposes the data source when this instance created it; held handles keep their connections.</summary>
    /// <remarks>Usage: <c>await using var locks = new PostgresWorkerIdentityLocks(connectionString);</c></remarks>
    public ValueTask DisposeAsync() => Connector.DisposeAsync();

    IWorkerIdentityLock IWorkerIdentityLocks.ForWorker(string worker) => ForWorker(worker);

    /// <summary>This host's processes and tmux, on the store's clock: what ages a lock and finds its session.</summary>
    internal LockEnvironment Environment => LockEnvironment.Default with { Time = Connector.Options.TimeProvider };

    /// <summary>The advisory-lock key of a worker, as SQL over the text expression <paramref name="worker"/>.</summary>
    internal string WorkerKey(string worker) => $"hashtextextended('agentlocks:{Connector.Schema.Name}:worker:' || {worker}, 0)";

    /// <summary>A pg_locks condition: row <c>l</c> is a granted session lock on the worker key in this database.</summary>
    internal string HeldBy(string worker) => $"""
        l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = ((({WorkerKey(worker)}) >> 32) & 4294967295)::oid
        AND l.objid = (({WorkerKey(worker)}) & 4294967295)::oid
        """;

    /// <summary>Runs <paramref name="sql"/> (one statement yielding <see cref="StatusColumns"/>, with <paramref name="parameter"/> as <c>$1</c>) and reads the holders.</summary>
    internal async Task<IReadOnlyList<WorkerLockStatus>> QueryAsync(string sql, string parameter, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await Connector.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new() { Value = parameter });

            var result = new List<WorkerLockStatus>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Add(Status(reader.GetString(0), reader.GetBoolean(6), Holder(reader, 1)));
            }

            return result;
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, cancellationToken))
        {
            throw Connector.Translate(e);
        }
    }

    /// <summary>The holder in the five columns hostname, pid, session_id, acquired_at, backend_pid from <paramref name="first"/> on.</summary>
    internal static WorkerLockInfo Holder(NpgsqlDataReader reader, int first)
        => new(
            reader.GetInt32(first + 1),
            reader.GetFieldValue<DateTimeOffset>(first + 3),
            reader.IsDBNull(first + 2) ? null : SessionId.Parse(reader.GetString(first + 2)),
            reader.GetString(first),
            processStartTime: null,
            bootId: null,
            ownerToken: null,
            backendPid: reader.GetInt32(first + 4));

    /// <summary>A recorded holder as a status: locked while its connection holds the lock, else stale.</summary>
    internal WorkerLockStatus Status(string worker, bool held, WorkerLockInfo holder)
    {
        var age = Connector.Options.TimeProvider.GetUtcNow() - holder.AcquiredAt;
        return new WorkerLockStatus(
            worker,
            held ? WorkerLockState.Locked : WorkerLockState.Stale,
            holder,
            age < TimeSpan.Zero ? TimeSpan.Zero : age,
            held
                ? $"held by process {holder.Pid} on {holder.HostName} through server backend {holder.BackendPid}"
                : $"the connection of process {holder.Pid} on {holder.HostName} is gone (it or its machine died)");
    }
}
