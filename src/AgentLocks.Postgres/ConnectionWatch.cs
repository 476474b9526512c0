using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// Watches one otherwise idle connection until told to stop. It waits on the socket, so the server's goodbye
/// (<c>pg_terminate_backend</c>, shutdown, restart) is read the moment it is sent; it runs <c>SELECT 1</c> first and
/// then after each <see cref="PostgresStoreOptions.HeartbeatInterval"/> of silence, so the server never sees the
/// session as idle. A peer that went silent without closing anything (a dead machine, a cut network) leaves that
/// <c>SELECT 1</c> unanswered: after one more interval the connection counts as lost, so a loss is reported at most
/// two intervals after the server was last heard.
/// </summary>
/// <remarks>
/// Npgsql 9's <c>WaitAsync</c> is never given a token here. A cancelled wait can return after sending what the pool
/// had queued (its <c>DISCARD ALL</c>) without reading the answer, and that answer then desynchronises the
/// connection's next user in the pool ("Received backend message CommandComplete while expecting
/// ParseCompleteMessage"); a cancellation that lands as the wait starts its read is lost, and the wait then lasts
/// until the server speaks. So each wait is bounded by <see cref="Slice"/> of real time instead, the owner's stop and
/// a due heartbeat are looked at between waits, and a statement (the first heartbeat) sends and reads what the pool
/// queued before any wait.
/// </remarks>
internal static class ConnectionWatch
{
    /// <summary>The longest single wait: how late the owner's stop or a due heartbeat may be seen.</summary>
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(100);

    /// <summary>Runs until <paramref name="stop"/> is cancelled (returns) or the connection dies (cancels <paramref name="lost"/>, returns).</summary>
    public static async Task RunAsync(PostgresConnector connector, NpgsqlConnection connection, CancellationTokenSource lost, CancellationToken stop)
    {
        var options = connector.Options;
        var slice = (int)Math.Ceiling(Math.Min(Slice.TotalMilliseconds, options.HeartbeatInterval.TotalMilliseconds));
        try
        {
            while (true)
            {
                stop.ThrowIfCancellationRequested();
                if (!await HeartbeatAsync(connector, connection, lost).ConfigureAwait(false))
                {
                    return;
                }

                for (var since = options.TimeProvider.GetTimestamp(); options.TimeProvider.GetElapsedTime(since) < options.HeartbeatInterval;)
                {
                    stop.ThrowIfCancellationRequested();

                    // Returns on a notification (none are asked for) or when the slice is over; either leaves the connection idle.
                    await connection.WaitAsync(slice, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped by the owner.
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, stop) || e is InvalidOperationException)
        {
            await lost.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <c>SELECT 1</c>. When no answer comes within one heartbeat interval of real time (it bounds a network
    /// round trip, which a test's fake clock must not cut short), cancels <paramref name="lost"/> at once and returns
    /// false once the connection is broken. Not cancelled by the owner's stop: a cancelled statement could leave the
    /// connection unusable for its owner's release.
    /// </summary>
    private static async Task<bool> HeartbeatAsync(PostgresConnector connector, NpgsqlConnection connection, CancellationTokenSource lost)
    {
        using var command = new NpgsqlCommand("SELECT 1", connection);
        using var abandon = new CancellationTokenSource();
        var reply = command.ExecuteScalarAsync(abandon.Token);
        try
        {
            await reply.WaitAsync(connector.Options.HeartbeatInterval).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException) when (!reply.IsCompleted)
        {
            // The pool must not hand this connection out again, nor its idle siblings, which went silent with it;
            // cleared first, so whoever reacts to the loss gets fresh connections.
            connector.DataSource.Clear();
            await lost.CancelAsync().ConfigureAwait(false);

            // The driver then tries the server's cancel (over the same silent network, until its connect Timeout)
            // and breaks the connection; its owner disposes it only after that.
            await abandon.CancelAsync().ConfigureAwait(false);
            await reply.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            return false;
        }
    }
}
