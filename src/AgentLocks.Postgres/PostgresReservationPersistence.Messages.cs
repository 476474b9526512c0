using Npgsql;
using NpgsqlTypes;

namespace AgentLocks.Postgres;

/// <summary>Messages (takeover notices) in the <c>messages</c> table, the same rows beadboard's mail would hold.</summary>
internal sealed partial class PostgresReservationPersistence
{
    private const string MessageColumns = "message_id, thread_id, bead_id, from_agent, to_agent, category, subject, body, state, requires_ack, created_at, read_at, acked_at";

    public Task WriteMessagesAsync(IReadOnlyList<AgentMessage> messages, CancellationToken cancellationToken)
        => connector.InTransactionAsync(async (connection, ct) =>
        {
            var batch = new NpgsqlBatch(connection);
            await using var batchScope = batch.ConfigureAwait(false);
            foreach (var m in messages)
            {
                batch.BatchCommands.Add(new($"INSERT INTO {Schema.Table("messages")} ({MessageColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (message_id) DO NOTHING")
                {
                    Parameters =
                    {
                        new() { Value = m.MessageId },
                        new() { Value = (object?)m.ThreadId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = (object?)m.BeadId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = (object?)m.FromAgent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = (object?)m.ToAgent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = (object?)m.Category ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = (object?)m.Subject ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = (object?)m.Body ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = (object?)m.State ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                        new() { Value = m.RequiresAck },
                        new() { Value = (object?)m.CreatedAt?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                        new() { Value = (object?)m.ReadAt?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                        new() { Value = (object?)m.AckedAt?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    },
                });
            }

            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken)
        => connector.InTransactionAsync(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand($"""
                UPDATE {Schema.Table("messages")}
                SET state = 'acked', read_at = coalesce(read_at, {ServerClock.Now}), acked_at = coalesce(acked_at, {ServerClock.Now})
                WHERE message_id = $3 AND to_agent = $4
                RETURNING {MessageColumns}
                """, connection)
            {
                Parameters =
                {
                    new() { Value = Clock.PinnedParameter, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    new() { Value = Clock.Offset, NpgsqlDbType = NpgsqlDbType.Interval },
                    new() { Value = messageId },
                    new() { Value = agent.Value },
                },
            };
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                throw new AgentLocksException(ErrorCode.MessageNotFound, $"No message {messageId} is addressed to agent {agent}.");
            }

            return ReadMessage(reader);
        }, cancellationToken);

    /// <summary>One row of the messages table, its columns in the order every message query selects them.</summary>
    private static AgentMessage ReadMessage(NpgsqlDataReader reader) => new()
    {
        MessageId = reader.GetString(0),
        ThreadId = Text(reader, 1),
        BeadId = Text(reader, 2),
        FromAgent = Text(reader, 3),
        ToAgent = Text(reader, 4),
        Category = Text(reader, 5),
        Subject = Text(reader, 6),
        Body = Text(reader, 7),
        State = Text(reader, 8),
        RequiresAck = reader.GetBoolean(9),
        CreatedAt = Instant(reader, 10),
        ReadAt = Instant(reader, 11),
        AckedAt = Instant(reader, 12),
    };
}
