using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// A held worker identity in PostgreSQL. It owns one connection, whose session holds the lock; a watch on it
/// (<see cref="ConnectionWatch"/>) keeps the session alive and notices when the connection dies (server restart,
/// <c>pg_terminate_backend</c>, network), which cancels <see cref="HandleLost"/>.
/// Disposing releases the lock; it is idempotent.
/// </summary>
/// <remarks>Usage: <c>await using var held = await locks.AcquireAsync(worker); await RunAsync(held.HandleLost);</c></remarks>
public sealed class PostgresWorkerLockHandle : ILockHandle
{
    private readonly PostgresConnector _connector;
    private readonly NpgsqlConnection _connection;
    private readonly string _ownerToken;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private int _disposed;

    internal PostgresWorkerLockHandle(PostgresConnector connector, NpgsqlConnection connection, PostgresWorkerLockStatus holder, string ownerToken)
    {
        _connector = connector;
        _connection = connection;
        _ownerToken = ownerToken;
        Holder = holder;
        _watch = ConnectionWatch.RunAsync(connector, connection, _lost, _stop.Token);
    }

    /// <summary>The worker identity held.</summary>
    /// <remarks>Usage: <c>held.Worker</c></remarks>
    public WorkerId Worker => Holder.Worker;

    /// <summary>What the server recorded for this holder (host, PID, session, since when, backend).</summary>
    /// <remarks>Usage: <c>held.Holder.AcquiredAt</c></remarks>
    public PostgresWorkerLockStatus Holder { get; }

    /// <inheritdoc/>
    public CancellationToken HandleLost => _lost.Token;

    /// <summary>Releases the worker identity and returns the connection; idempotent.</summary>
    /// <remarks>Usage: <c>await held.DisposeAsync();</c></remarks>
    public async ValueTask DisposeAsync()
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
                using var command = new NpgsqlCommand(
                    $"DELETE FROM {_connector.Schema.Table("worker_locks")} WHERE worker_id = $1 AND owner_token = $2", _connection);
                command.Parameters.Add(new() { Value = Worker.Value });
                command.Parameters.Add(new() { Value = _ownerToken });
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, CancellationToken.None))
        {
            // The connection died while releasing: its session, and so the lock, ends with it.
        }
        finally
        {
            await PostgresWorkerIdentityLock.Discard(_connection).ConfigureAwait(false);
            _stop.Dispose();
            _lost.Dispose();
        }
    }
}
