using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// A held worker identity in PostgreSQL. It owns one connection, whose session holds the lock; a watch on it
/// (<see cref="ConnectionWatch"/>) keeps the session alive and notices when the connection dies (server restart,
/// <c>pg_terminate_backend</c>, network), which cancels <see cref="HandleLost"/>.
/// </summary>
internal sealed class PostgresWorkerLockHandle : WorkerLockHandle
{
    /// <summary>Undoes what a holder set on its session, so the pooled connection goes back clean.</summary>
    private const string ResetSession = """
        SELECT pg_advisory_unlock_all();
        RESET idle_session_timeout; RESET tcp_keepalives_idle; RESET tcp_keepalives_interval; RESET tcp_keepalives_count;
        """;

    private readonly PostgresWorkerIdentityLocks _store;
    private readonly PostgresWorkerIdentityLock _lock;
    private readonly NpgsqlConnection _connection;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private int _disposed;

    internal PostgresWorkerLockHandle(PostgresWorkerIdentityLocks store, PostgresWorkerIdentityLock workerLock, NpgsqlConnection connection, WorkerLockInfo info, WorkerLockStatus? tookOver)
        : base(workerLock.Worker, info, tookOver)
    {
        _store = store;
        _lock = workerLock;
        _connection = connection;
        _watch = ConnectionWatch.RunAsync(store.Connector, connection, _lost, _stop.Token);
    }

    /// <inheritdoc/>
    public override CancellationToken HandleLost => _lost.Token;

    /// <summary>Asks the server (on another connection): true while the row is this acquisition's and its connection holds the lock.</summary>
    public override async Task<bool> IsHeldAsync(CancellationToken cancellationToken = default)
    {
        if (_lost.IsCancellationRequested)
        {
            return false;
        }

        var held = await _lock.IsOwnedAsync(Info.OwnerToken!, cancellationToken).ConfigureAwait(false);
        if (!held && Volatile.Read(ref _disposed) == 0)
        {
            await _lost.CancelAsync().ConfigureAwait(false);
        }

        return held;
    }

    /// <summary>Releases the worker identity and returns the connection; idempotent.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        try
        {
            if (!_lost.IsCancellationRequested)
            {
                // The row goes only if it is still ours; the lock with the session reset below.
                using var command = new NpgsqlCommand($"DELETE FROM {_store.Table} WHERE worker_id = $1 AND owner_token = $2", _connection);
                command.Parameters.Add(new() { Value = Worker });
                command.Parameters.Add(new() { Value = Info.OwnerToken });
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, CancellationToken.None))
        {
            // The connection died while releasing: its session, and so the lock, ends with it.
        }
        finally
        {
            await DiscardAsync(_connection).ConfigureAwait(false);
            _stop.Dispose();
            _lost.Dispose();
        }
    }

    /// <summary>
    /// Gives a holder's connection back: a session lock outlives a failed statement, so every lock of the session
    /// is dropped first; a connection too broken for that is not pooled again, and its server session ends.
    /// </summary>
    internal static async Task DiscardAsync(NpgsqlConnection connection)
    {
        try
        {
            using var command = new NpgsqlCommand(ResetSession, connection);
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, CancellationToken.None) || e is InvalidOperationException)
        {
            // Broken: disposing below does not pool it, and the server ends its session with its locks.
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
