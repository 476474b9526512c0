using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// The cross-process arrival order of waiters (docs/postgres.md, "Waiting"): after its first refusal a waiter takes,
/// on a connection of its own, a session advisory lock per queue key of its scopes (a scope's literal prefix), in
/// ascending key order, with a blocking <c>pg_advisory_lock</c>. The server grants each key to its waiters first
/// come, first served, so only the head of each queue tries again on a change; the others sleep on the server. The
/// place is given up when the waiter leaves (granted, refused, out of time, cancelled) and, should the waiter die,
/// when the server drops its connection.
/// </summary>
internal static class PostgresWaitQueue
{
    /// <summary>
    /// Waits for the head of the queues of <paramref name="scopes"/>; disposing the result leaves them. Each place is
    /// tried first; <paramref name="behind"/> runs once, before the first that others hold (the waiter is behind them).
    /// </summary>
    public static async Task<IAsyncDisposable?> EnterAsync(PostgresConnector connector, IReadOnlyList<ScopePattern> scopes, Func<ValueTask> behind, CancellationToken cancellationToken)
    {
        var connection = await connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        var place = new Place(connection);
        try
        {
            var behindOthers = false;
            var timed = false;
            foreach (var key in scopes.Select(s => Key(connector.Schema, s)).Distinct().Order())
            {
                if (!behindOthers)
                {
                    // With the try: whether a statement_timeout or lock_timeout (the role's or the database's) would cut
                    // a wait short.
                    using var take = new NpgsqlCommand(
                        "SELECT pg_try_advisory_lock($1), current_setting('statement_timeout') <> '0' OR current_setting('lock_timeout') <> '0'", connection)
                    {
                        Parameters = { new() { Value = key } },
                    };
                    bool taken;
                    var reader = await take.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                        (taken, timed) = (reader.GetBoolean(0), reader.GetBoolean(1));
                    }

                    if (taken)
                    {
                        continue;
                    }

                    behindOthers = true;
                    await behind().ConfigureAwait(false);
                }

                // A wait lasts as long as those ahead hold their places: the caller's deadline and token end it, never
                // the driver's command timeout (30 s by default) nor the server's statement_timeout or lock_timeout,
                // any of which would drop the waiter out of the queue. The place resets those settings when it leaves.
                var wait = new NpgsqlBatch(connection) { Timeout = 0 };
                await using var waitScope = wait.ConfigureAwait(false);
                if (timed && !place.ResetsTimeout)
                {
                    wait.BatchCommands.Add(new("SET statement_timeout = 0"));
                    wait.BatchCommands.Add(new("SET lock_timeout = 0"));
                    place.ResetsTimeout = true;
                }

                wait.BatchCommands.Add(new("SELECT pg_advisory_lock($1)") { Parameters = { new() { Value = key } } });
                await wait.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return place;
        }
        catch (Exception e)
        {
            await place.DisposeAsync().ConfigureAwait(false);
            throw PostgresConnector.IsDriverFailure(e, cancellationToken) ? connector.Translate(e, " (while queueing to wait)") : e;
        }
    }

    /// <summary>
    /// A scope's queue key: its literal prefix, in a key space apart from <see cref="PrefixLocking"/>'s, so a queued
    /// waiter never holds up a decision. Scopes with the same prefix share a queue; overlapping scopes with different
    /// prefixes (<c>src/**</c> and <c>src/a.cs</c>) do not, and meet only in the decision.
    /// </summary>
    internal static long Key(PostgresSchema schema, ScopePattern scope)
        => BinaryPrimitives.ReadInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"agentlocks:{schema.Name}:queue:{ScopeGlob.LiteralPrefix(scope.Value)}")));

    private sealed class Place(NpgsqlConnection connection) : IAsyncDisposable
    {
        /// <summary>Whether the place's session set statement_timeout and lock_timeout to 0 for its wait.</summary>
        public bool ResetsTimeout { get; set; }

        public async ValueTask DisposeAsync()
        {
            try
            {
                // Pooled connections keep session state (No Reset On Close), so the place is given up explicitly.
                using var command = new NpgsqlCommand(ResetsTimeout ? "SELECT pg_advisory_unlock_all(); RESET statement_timeout; RESET lock_timeout" : "SELECT pg_advisory_unlock_all()", connection);
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (PostgresConnector.IsDriverFailure(e, CancellationToken.None) || e is InvalidOperationException)
            {
                // A broken connection is discarded by the pool, and the server dropped the locks with it.
            }
            finally
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
