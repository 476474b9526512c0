namespace AgentLocks;

/// <summary>
/// A reservation store in process memory, with the same rules as the file and PostgreSQL stores: for users'
/// tests (pair it with a fake <see cref="TimeProvider"/>) and single-process tools. Nothing survives the process.
/// </summary>
/// <remarks>Usage: <c>IReservationStore store = new InMemoryReservationStore(new ReservationStoreOptions { TimeProvider = fakeTime });</c></remarks>
public sealed class InMemoryReservationStore : ReservationStore
{
    /// <summary>Creates an empty store.</summary>
    /// <remarks>Usage: <c>var store = new InMemoryReservationStore();</c></remarks>
    public InMemoryReservationStore(ReservationStoreOptions? options = null)
        : base(Engine(options ?? new ReservationStoreOptions()))
    {
    }

    private static ReservationEngine Engine(ReservationStoreOptions options)
    {
        var changes = new ChangeFeed();
        return new ReservationEngine(new InMemoryReservationPersistence(options.TimeProvider, changes), options.Policy, changes,
            new StoreTelemetry("memory", options.LoggerFactory, options.MeterFactory), options.Repository);
    }
}

/// <summary>The in-memory state; one lock makes each read-decide-write atomic. Each ended reservation is announced to <paramref name="changes"/>.</summary>
internal sealed class InMemoryReservationPersistence(TimeProvider timeProvider, ChangeFeed changes) : IReservationPersistence
{
    private readonly object _gate = new();
    private readonly Dictionary<AgentId, AgentRecord> _agents = [];
    private readonly List<ReservationHistoryEntry> _history = [];
    private readonly Dictionary<string, AgentMessage> _messages = new(StringComparer.Ordinal);
    private List<Reservation> _active = [];
    private long _lastFencingToken;

    public TimeProvider TimeProvider { get; } = timeProvider;

    public Task<T> UpdateAsync<T>(LedgerFocus focus, Func<ReservationLedger, T> decide, CancellationToken cancellationToken)
        => Update(decide, cancellationToken);

    public Task<T> UpdateWithHistoryAsync<T>(Func<ReservationLedger, IReadOnlyList<ReservationHistoryEntry>, T> decide, CancellationToken cancellationToken)
        => Update(ledger => decide(ledger, [.. _history]), cancellationToken);

    /// <summary>Decides on everything under the lock; the history a decision reads is copied there too.</summary>
    private Task<T> Update<T>(Func<ReservationLedger, T> decide, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var ledger = new ReservationLedger(_active, _lastFencingToken, _agents.ContainsKey, TimeProvider.GetUtcNow());
            var result = decide(ledger);
            if (ledger.Changed)
            {
                _active = [.. ledger.Active];
                _history.AddRange(ledger.Appended);
                _lastFencingToken = ledger.LastFencingToken;
                if (ledger.Appended.Where(e => e.Reservation.State != ReservationState.Active).Select(e => e.Reservation.Scope).ToList() is [_, ..] ended)
                {
                    changes.Publish(ended);
                }
            }

            return Task.FromResult(result);
        }
    }

    public Task<AgentRecord> UpsertAgentAsync(AgentId agent, Func<AgentRecord?, DateTimeOffset, AgentRecord> decide, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var record = decide(_agents.GetValueOrDefault(agent), TimeProvider.GetUtcNow());
            _agents[agent] = record;
            return Task.FromResult(record);
        }
    }

    public Task<IReadOnlyList<AgentMessage>> ReadMessagesAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<AgentMessage>>([.. _messages.Values]);
        }
    }

    public Task WriteMessagesAsync(IReadOnlyList<AgentMessage> messages, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var message in messages)
            {
                _messages[message.MessageId] = message;
            }
        }

        return Task.CompletedTask;
    }

    public Task<AgentMessage> AcknowledgeMessageAsync(AgentId agent, string messageId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_messages.TryGetValue(messageId, out var message) || message.ToAgent != agent.Value)
            {
                throw new AgentLocksException(ErrorCode.MessageNotFound, $"No message {messageId} is addressed to agent {agent}.");
            }

            var now = TimeProvider.GetUtcNow();
            return Task.FromResult(_messages[messageId] = message with { State = "acked", ReadAt = message.ReadAt ?? now, AckedAt = message.AckedAt ?? now });
        }
    }
}
