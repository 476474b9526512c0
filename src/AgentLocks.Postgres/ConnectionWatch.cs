using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// Watches one otherwise idle connection until told to stop. It waits on the socket, so the server's goodbye
/// (<c>pg_terminate_backend</c>, shutdown, restart) is read the moment it is sent; after each
/// <see cref="PostgresStoreOptions.HeartbeatInterval"/> of silence it runs <c>SELECT 1</c>, so a peer that went
/// silent (a dead machine, a cut network) is noticed too, and the server never sees the session as idle.
/// </summary>
internal static class ConnectionWatch
{
    /// <summary>Runs until <paramref name="stop"/> is cancelled (returns) or the connection dies (cancels <paramref name="lost"/>, returns).</summary>
    public static async Task RunAsync(NpgsqlConnection connection, PostgresStoreOptions options, CancellationTokenSource lost, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                using (var beat = new CancellationTokenSource(options.HeartbeatInterval, options.TimeProvider))
                using (var either = CancellationTokenSource.CreateLinkedTokenSource(beat.Token, stop))
                {
                    try
                    {
                        // Returns on a notification (none are asked for); a cancelled wait leaves the connection usable.
                        await connection.WaitAsync(either.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (beat.IsCancellationRequested && !stop.IsCancellationRequested)
                    {
                        // Silence for a whole interval: ask.
                    }
                }

                stop.ThrowIfCancellationRequested();

                // Not cancelled by stop: a cancelled statement could leave the connection unusable for its owner's release.
                using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
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
}
