using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace AgentLocks.Postgres;

/// <summary>
/// The PostgreSQL side of the persistence seam. Each decision is one short READ COMMITTED transaction in two
/// round trips: the first takes the advisory locks of what the decision concerns (<see cref="PrefixLocking"/>:
/// decisions about overlapping scopes wait for each other, disjoint ones never do), reads the server's time, a
/// fencing token when it may grant, and the active leases that can overlap; the core decides; the second writes
/// the rows it changed and commits. Every statement after the locks sees every commit before them, which is why
/// READ COMMITTED (a fresh snapshot per statement) is the right level here, not a stricter one. A handle's release
/// is one round trip when its row is still active and live (<see cref="ReleaseDirectlyAsync{T}"/>).
/// </summary>
internal sealed partial class PostgresReservationPersistence(PostgresConnector connector, PostgresChangeListener.Source changes) : IReservationPersistence
{
    private const string Columns = "reservation_id, scope, agent_id, bead_id, mode, state, created_at, expires_at, released_at, fencing_token, reason";

    /// <summary>
    /// A decision's transaction, READ COMMITTED whatever the server's or role's <c>default_transaction_isolation</c>:
    /// its read must see what was committed while it waited for its locks. Under REPEATABLE READ the read would use
    /// the snapshot taken when the lock statement began, and two decisions that waited for the same lock both granted.
    /// </summary>
    private const string Begin = "BEGIN ISOLATION LEVEL READ COMMITTED";

    /// <summary>
    /// A column that makes a decision's <c>COMMIT</c> wait for its WAL flush whatever the server's or role's
    /// <c>synchronous_commit</c>: a grant the client was told of must survive a crash, or the scope is granted twice.
    /// </summary>
    private const string DurableCommit = "set_config('synchronous_commit', 'on', true)";

    // Agents are never deleted, so an agent once seen registered stays registered: decisions need no agent query.
    private readonly ConcurrentDictionary<AgentId, bool> _knownAgents = new();

    public TimeProvider TimeProvider => connector.Options.TimeProvider;

    public ServerClock Clock { get; } = new();

    /// <summary>The store's watched connection; its loss is every handle's <c>HandleLost</c>.</summary>
    public PostgresSessionWatch Session { get; } = new(connector);

    public CancellationToken ConnectionLost => Session.Lost;

    private PostgresSchema Schema => connector.Schema;

    public Task<T> UpdateAsync<T>(LedgerFocus focus, Func<ReservationLedger, T> decide, CancellationToken cancellationToken)
        => UpdateAsync(focus, (ledger, _) => decide(ledger), cancellationToken);

    public Task<T> UpdateWithHistoryAsync<T>(Func<ReservationLedger, IReadOnlyList<ReservationHistoryEntry>, T> decide, CancellationToken cancellationToken)
        => UpdateAsync(LedgerFocus.WithHistory, decide, cancellationToken);

    /// <summary>One decision; <paramref name="decide"/> gets the history when <paramref name="focus"/> reads it (none otherwise).</summary>
    private Task<T> UpdateAsync<T>(LedgerFocus focus, Func<ReservationLedger, IReadOnlyList<ReservationHistoryEntry>, T> decide, CancellationToken cancellationToken)
        => connector.WithRetryAsync(async (connection, attempt, ct) =>
        {
            if (focus.Releasing is { } releasing && await ReleaseDirectlyAsync(connection, focus, releasing, decide, ct).ConfigureAwait(false) is (true, var released))
            {
                return released;
            }

            var state = await ReadStateAsync(connection, focus, ct).ConfigureAwait(false);
            HashSet<AgentId> asked = [];
            HashSet<AgentId> unknown = [];
            while (true)
            {
                // The core asks about agents synchronously; an agent not yet seen is looked up and the decision re-run
                // (the ledger has no side effects, so a discarded run costs nothing).
                var ledger = new ReservationLedger(state.Active, 0, agent =>
                {
                    if (_knownAgents.ContainsKey(agent))
                    {
                        return true;
                    }

                    if (!unknown.Contains(agent))
                    {
                        asked.Add(agent);
                    }

                    return false;
                }, state.Now, state.DrawnTokens)
                { OthersQueued = state.OthersQueued };
                var result = decide(ledger, state.History ?? []);
                if (asked.Count > 0)
                {
                    await LookUpAgentsAsync(connection, asked, unknown, ct).ConfigureAwait(false);
                    asked.Clear();
                    continue;
                }

                if (ledger.Changed && state.OthersQueued)
                {
                    // Read under no lock (a holder extending its work): decided again the usual way.
                    using (var rollback = new NpgsqlCommand("ROLLBACK", connection))
                    {
                        await rollback.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }

                    focus = focus with { Newcomer = false };
                    state = await ReadStateAsync(connection, focus, ct).ConfigureAwait(false);
                    continue;
                }

                if (ledger.Changed && focus.Id is not null)
                {
                    throw new InvalidOperationException("A lookup, which takes no locks, changed a reservation.");
                }

                attempt.Committing = true;
                await WriteAndCommitAsync(connection, ledger, ct).ConfigureAwait(false);
                return result;
            }
        }, cancellationToken);

    public async Task<IAsyncDisposable?> QueueAsync(IReadOnlyList<ScopePattern> scopes, Func<ValueTask> behind, CancellationToken cancellationToken)
    {
        var behindOthers = false;
        try
        {
            return await PostgresWaitQueue.EnterAsync(connector, scopes, () =>
            {
                // Counted first: the store's listener, losing its last waiter to the queue, then stops without lingering.
                behindOthers = true;
                changes.Behind(1);
                return behind();
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (behindOthers)
            {
                changes.Behind(-1);
            }
        }
    }

    public Task<AgentRecord> UpsertAgentAsync(AgentId agent, Func<AgentRecord?, DateTimeOffset, AgentRecord> decide, CancellationToken cancellationToken)
        => connector.InTransactionAsync(async (connection, ct) =>
        {
            var read = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new($"SELECT pg_advisory_xact_lock({Schema.LockKey("agent:")} # hashtextextended($1, 0))") { Parameters = { new() { Value = agent.Value } } },
                    NowCommand(),
                    new($"SELECT display_name, role, status, created_at, last_seen_at, version FROM {Schema.Table("agents")} WHERE agent_id = $1")
                    {
                        Parameters = { new() { Value = agent.Value } },
                    },
                },
            };
            await using var readScope = read.ConfigureAwait(false);
            DateTimeOffset now;
            AgentRecord? existing = null;
            var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.NextResultAsync(ct).ConfigureAwait(false);
                await reader.ReadAsync(ct).ConfigureAwait(false);
                now = reader.GetFieldValue<DateTimeOffset>(0);
                await reader.NextResultAsync(ct).ConfigureAwait(false);
                if (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    existing = new AgentRecord
                    {
                        AgentId = agent,
                        DisplayName = reader.GetString(0),
                        Role = reader.GetString(1),
                        Status = reader.GetString(2),
                        CreatedAt = reader.GetFieldValue<DateTimeOffset>(3),
                        LastSeenAt = reader.GetFieldValue<DateTimeOffset>(4),
                        Version = reader.GetInt32(5),
                    };
                }
            }

            var record = decide(existing, now);
            using var write = new NpgsqlCommand($"""
                INSERT INTO {Schema.Table("agents")} (agent_id, display_name, role, status, created_at, last_seen_at, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (agent_id) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                    status = excluded.status, created_at = excluded.created_at, last_seen_at = excluded.last_seen_at,
                    version = excluded.version
                """, connection);
            write.Parameters.Add(new() { Value = agent.Value });
            write.Parameters.Add(new() { Value = record.DisplayName });
            write.Parameters.Add(new() { Value = record.Role });
            write.Parameters.Add(new() { Value = record.Status });
            write.Parameters.Add(new() { Value = record.CreatedAt.ToUniversalTime() });
            write.Parameters.Add(new() { Value = record.LastSeenAt.ToUniversalTime() });
            write.Parameters.Add(new() { Value = record.Version });
            await write.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            _knownAgents.TryAdd(agent, true);
            return record;
        }, cancellationToken);

    public Task<IReadOnlyList<AgentMessage>> ReadMessagesAsync(CancellationToken cancellationToken)
        => connector.InTransactionAsync<IReadOnlyList<AgentMessage>>(async (connection, ct) =>
        {
            // Status reports only required messages without an acknowledgement; the rest stay on the server.
            using var command = new NpgsqlCommand($"""
                SELECT message_id, thread_id, bead_id, from_agent, to_agent, category, subject, body, state,
                       requires_ack, created_at, read_at, acked_at
                FROM {Schema.Table("messages")} WHERE requires_ack AND acked_at IS NULL
                """, connection);
            var messages = new List<AgentMessage>();
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                messages.Add(ReadMessage(reader));
            }

            return messages;
        }, cancellationToken);

    private NpgsqlBatchCommand NowCommand(string sql = $"SELECT {ServerClock.Now}") => new(sql)
    {
        Parameters =
        {
            new() { Value = Clock.PinnedParameter, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            new() { Value = Clock.Offset, NpgsqlDbType = NpgsqlDbType.Interval },
        },
    };

    private async Task<LedgerState> ReadStateAsync(NpgsqlConnection connection, LedgerFocus focus, CancellationToken cancellationToken)
    {
        // Tokens are drawn after the locks, one per possible grant: a later grant of an overlapping scope draws a
        // later, higher one. A decision that may not grant draws none (and the ledger cannot grant without one).
        // The locks are taken in the subquery, whose count ends after the last is granted, before the time is read.
        // The count is in the text, not a parameter: the server then plans the prepared statement once, not per call.
        // A newcomer first tries its scopes' queues (PostgresWaitQueue) shared: when one is held, others are queued, and
        // it takes no lock (the CASE in the lock statement), reads only and will queue behind them.
        // A decision's reads are plain index scans from here on (PrefixLocking.IndexScansOnly); a status, which reads
        // the whole history, plans freely.
        var now = NowCommand($"SELECT {ServerClock.Now}, ARRAY(SELECT nextval('{Schema.Quoted}.fencing_tokens') FROM generate_series(1, {(focus.Grants ? focus.Scopes!.Count : 0)})), {(focus.Newcomer ? "queue.busy" : "false")}, {DurableCommit}{(focus.History ? "" : ", " + PrefixLocking.IndexScansOnly)}");
        var from = " FROM ";
        if (focus.Newcomer)
        {
            now.CommandText += $" FROM (SELECT NOT bool_and(pg_try_advisory_xact_lock_shared(key)) AS busy FROM unnest($3::bigint[]) AS queues(key)) AS queue";
            now.Parameters.Add(new() { Value = focus.Scopes!.Select(scope => PostgresWaitQueue.Key(Schema, scope)).Distinct().ToArray() });
            from = ", LATERAL ";
        }

        if (PrefixLocking.Lock(Schema, focus, first: now.Parameters.Count + 1, unless: focus.Newcomer ? "queue.busy" : null) is { } locks)
        {
            now.CommandText += $"{from}({locks.CommandText}) AS locked";
            foreach (var value in locks.Parameters.Select(p => p.Value))
            {
                now.Parameters.Add(new() { Value = value });
            }
        }

        var batch = new NpgsqlBatch(connection) { BatchCommands = { new(Begin), now, ActiveRows(Schema, focus) } };
        if (focus.History)
        {
            // The core counts only ended reservations from the history; the renewals and grants stay on the server.
            batch.BatchCommands.Add(new(
                $"SELECT {Columns}, event, recorded_at, taken_over_by, successor FROM {Schema.Table("history")} WHERE state <> 'active' ORDER BY seq"));
        }

        await using var batchScope = batch.ConfigureAwait(false);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var time = reader.GetFieldValue<DateTimeOffset>(0);
        var drawnTokens = reader.GetFieldValue<long[]>(1);
        var othersQueued = reader.GetBoolean(2);
        Array.Sort(drawnTokens);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<Reservation>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(ReadReservation(reader));
        }

        List<ReservationHistoryEntry>? history = null;
        if (focus.History)
        {
            history = [];
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                history.Add(new ReservationHistoryEntry(
                    Enum.Parse<ReservationEvent>(reader.GetString(11)),
                    ReadReservation(reader),
                    Instant(reader, 12),
                    reader.IsDBNull(13) ? null : AgentId.Parse(reader.GetString(13)),
                    reader.IsDBNull(14) ? null : ReservationId.Parse(reader.GetString(14))));
            }
        }

        return new LedgerState(time, drawnTokens, rows, history, othersQueued);
    }

    /// <summary>The statement that reads the active rows a decision about <paramref name="focus"/> must see.</summary>
    internal static NpgsqlBatchCommand ActiveRows(PostgresSchema schema, LedgerFocus focus)
    {
        var active = new NpgsqlBatchCommand($"SELECT {Columns} FROM {schema.Table("reservations")} WHERE state = 'active'");
        if (focus.Id is { } id)
        {
            active.CommandText += " AND reservation_id = $1";
            active.Parameters.Add(new() { Value = id.Value });
        }
        else if (focus.Scopes is { } scopes && PrefixLocking.Filter(scopes) is var (conditions, values))
        {
            // A row two conditions find is read once: UNION drops the duplicate.
            active.CommandText = string.Join(" UNION ", conditions.Select(condition => $"{active.CommandText} AND {condition}"));
            foreach (var value in values)
            {
                active.Parameters.Add(new() { Value = value });
            }
        }

        return active;
    }

    private async Task LookUpAgentsAsync(NpgsqlConnection connection, HashSet<AgentId> asked, HashSet<AgentId> unknown, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"SELECT agent_id FROM {Schema.Table("agents")} WHERE agent_id = ANY($1)", connection);
        command.Parameters.Add(new() { Value = asked.Select(a => a.Value).ToArray() });
        var found = new HashSet<string>(StringComparer.Ordinal);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found.Add(reader.GetString(0));
            }
        }

        foreach (var agent in asked)
        {
            if (found.Contains(agent.Value))
            {
                _knownAgents.TryAdd(agent, true);
            }
            else
            {
                unknown.Add(agent);
            }
        }
    }

    /// <summary>
    /// Turns the core's history entries into row changes (Reserved inserts, Renewed updates, the rest end the row)
    /// and commits, in one round trip. An update must find its row still active: a row read under another's shared
    /// prefix lock (an expired lease above two disjoint scopes) can be ended by a concurrent decision, and then
    /// this one fails as a serialization failure, rolls back and decides again.
    /// </summary>
    private async Task WriteAndCommitAsync(NpgsqlConnection connection, ReservationLedger ledger, CancellationToken cancellationToken)
    {
        var batch = new NpgsqlBatch(connection);
        await using var batchScope = batch.ConfigureAwait(false);
        var reservations = Schema.Table("reservations");
        const string Recorded = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15";
        var record = $"INSERT INTO {Schema.Table("history")} ({Columns}, event, recorded_at, taken_over_by, successor) SELECT {Recorded} FROM changed";
        foreach (var entry in ledger.Appended)
        {
            // One statement per change: the row and its history row ($1 to $11 the reservation, $12 to $15 the event).
            var r = entry.Reservation;
            var change = entry.Event switch
            {
                ReservationEvent.Reserved => new NpgsqlBatchCommand($"""
                    WITH changed AS (INSERT INTO {reservations} ({Columns}, scope_prefix)
                                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $16) RETURNING 1)
                    {record}
                    """),
                ReservationEvent.Renewed => new NpgsqlBatchCommand($"""
                    WITH changed AS (UPDATE {reservations} SET bead_id = $4, mode = $5, expires_at = $8, reason = $11
                                     WHERE reservation_id = $1 AND state = 'active' RETURNING 1),
                    recorded AS ({record})
                    SELECT {Schema.Quoted}.expect_one(count(*)) FROM changed
                    """),
                _ => new NpgsqlBatchCommand($"""
                    WITH changed AS (UPDATE {reservations} SET state = $6, released_at = $9
                                     WHERE reservation_id = $1 AND state = 'active' RETURNING 1),
                    recorded AS ({record})
                    SELECT {Schema.Quoted}.expect_one(count(*)) FROM changed
                    """),
            };
            AddReservation(change.Parameters, r);
            change.Parameters.Add(new() { Value = entry.Event.ToString() });
            change.Parameters.Add(new() { Value = entry.At is { } at ? at.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            change.Parameters.Add(new() { Value = entry.TakenOverBy is { } by ? by.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            change.Parameters.Add(new() { Value = entry.Successor is { } next ? next.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            if (entry.Event == ReservationEvent.Reserved)
            {
                change.Parameters.Add(new() { Value = ScopeGlob.LiteralPrefix(r.Scope.Value) });
            }

            batch.BatchCommands.Add(change);
        }

        batch.BatchCommands.Add(new("COMMIT"));
        var ended = ledger.Appended.Where(e => e.Reservation.State != ReservationState.Active).Select(e => e.Reservation.Scope.Value).Distinct().ToArray();
        if (ended.Length > 0)
        {
            batch.BatchCommands.Add(NotifyCommand(ended));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A handle's release in one round trip (docs/postgres.md, "A release in one round trip"): under the same locks
    /// as the two-round-trip way, one statement ends the row with this id if it is active and live at the server's
    /// <c>now</c> and records it in the history, then <c>COMMIT</c>. That is exactly what
    /// <see cref="ReservationLedger.ReleaseById"/> decides about such a row, whatever else it reads; the ledger runs
    /// on the row as it was, at that <c>now</c>, to confirm it. Otherwise nothing was written (an empty transaction
    /// committed): false, and the caller decides the two-round-trip way. A release may be sent again after an
    /// unknown outcome: a second release of an ended row changes nothing.
    /// </summary>
    private async Task<(bool Done, T Result)> ReleaseDirectlyAsync<T>(
        NpgsqlConnection connection, LedgerFocus focus, ReservationId id, Func<ReservationLedger, IReadOnlyList<ReservationHistoryEntry>, T> decide, CancellationToken cancellationToken)
    {
        var released = ReservationState.Released.ToWireName();
        var release = NowCommand($"""
            WITH now AS MATERIALIZED (SELECT {ServerClock.Now} AS at, {DurableCommit} AS durable),
            ended AS (UPDATE {Schema.Table("reservations")} AS r SET state = '{released}', released_at = now.at FROM now
                      WHERE r.reservation_id = $3 AND r.state = 'active' AND r.released_at IS NULL AND r.expires_at > now.at
                      RETURNING {Columns}),
            recorded AS (INSERT INTO {Schema.Table("history")} ({Columns}, event, recorded_at)
                         SELECT {Columns}, '{ReservationEvent.Released}', released_at FROM ended)
            SELECT {Columns} FROM ended
            """);
        release.Parameters.Add(new() { Value = id.Value });
        var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new(Begin), PrefixLocking.Lock(Schema, focus)!, release, new("COMMIT"), NotifyCommand([.. focus.Scopes!.Select(s => s.Value)]) },
        };
        await using var batchScope = batch.ConfigureAwait(false);
        Reservation? ended = null;
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ended = ReadReservation(reader);
            }
        }

        if (ended is not { ReleasedAt: { } now })
        {
            return (false, default!);
        }

        var ledger = new ReservationLedger([ended with { State = ReservationState.Active, ReleasedAt = null }], 0, _knownAgents.ContainsKey, now);
        var result = decide(ledger, []);
        if (ledger.Appended is not [{ Event: ReservationEvent.Released, TakenOverBy: null, Successor: null } entry] || entry.Reservation != ended || entry.At != now)
        {
            throw new InvalidOperationException($"The ledger does not release {id} as the server did.");
        }

        return (true, result);
    }

    /// <summary>
    /// Tells waiters that leases of <paramref name="scopes"/> ended: after the commit, in the same round trip, in a
    /// transaction of its own, which writes no WAL and so holds the server's notification lock only for an instant.
    /// Only when some store listens (<see cref="PostgresChangeListener.ListeningKey"/> is held): otherwise nobody waits.
    /// </summary>
    private NpgsqlBatchCommand NotifyCommand(string[] scopes) => new(
        $"SELECT pg_notify($1, scope) FROM unnest($2::text[]) AS ended(scope) WHERE NOT pg_try_advisory_xact_lock({PostgresChangeListener.ListeningKey(Schema)})")
    {
        Parameters = { new() { Value = PostgresChangeListener.Channel(Schema) }, new() { Value = scopes } },
    };

    private static void AddReservation(NpgsqlParameterCollection parameters, Reservation r)
    {
        parameters.Add(new() { Value = r.Id.Value });
        parameters.Add(new() { Value = r.Scope.Value });
        parameters.Add(new() { Value = r.AgentId.Value });
        parameters.Add(new() { Value = r.BeadId.Value });
        parameters.Add(new() { Value = r.Mode.ToWireName() });
        parameters.Add(new() { Value = r.State.ToWireName() });
        parameters.Add(new() { Value = r.CreatedAt.ToUniversalTime() });
        parameters.Add(new() { Value = r.ExpiresAt.ToUniversalTime() });
        parameters.Add(new() { Value = r.ReleasedAt is { } released ? released.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        parameters.Add(new() { Value = r.FencingToken is { } token ? token.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        parameters.Add(new() { Value = (object?)r.Reason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
    }

    private static Reservation ReadReservation(NpgsqlDataReader reader) => new()
    {
        Id = ReservationId.Parse(reader.GetString(0)),
        Scope = ScopePattern.Parse(reader.GetString(1)),
        AgentId = AgentId.Parse(reader.GetString(2)),
        BeadId = BeadId.Parse(reader.GetString(3)),
        Mode = ReservationWireNames.ParseMode(reader.GetString(4)),
        State = ReservationWireNames.ParseState(reader.GetString(5)),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(6),
        ExpiresAt = reader.GetFieldValue<DateTimeOffset>(7),
        ReleasedAt = Instant(reader, 8),
        FencingToken = reader.IsDBNull(9) ? null : new FencingToken(reader.GetInt64(9)),
        Reason = Text(reader, 10),
    };

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? Instant(NpgsqlDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <summary>
    /// What a decision reads: the server's time, the fencing tokens drawn for its grants, the rows it may see, and
    /// whether it is a newcomer's that found others queued (then read under no lock).
    /// </summary>
    private sealed record LedgerState(DateTimeOffset Now, long[] DrawnTokens, List<Reservation> Active, List<ReservationHistoryEntry>? History, bool OthersQueued);
}
