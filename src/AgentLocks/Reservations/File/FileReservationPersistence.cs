using System.Text;
using System.Text.Json;

namespace AgentLocks;

/// <summary>
/// beadboard's layout under a root: <c>reservations/active.json</c>, <c>reservations/history.jsonl</c>,
/// <c>agents/&lt;id&gt;.json</c>, <c>messages/index/*.json</c>. Every read-modify-write (status sweeps included)
/// runs under <c>reservations/.lock</c>; each write is durable and atomic; a damaged file is reported as
/// <c>STORE_CORRUPT</c> before anything is written, and left as it is.
/// </summary>
internal sealed partial class FileReservationPersistence : IReservationPersistence
{
    /// <summary>Fencing tokens are reserved in blocks, so the ceiling file is written once per this many grants.</summary>
    private const long CeilingBlock = 1024;

    /// <summary>How much of the history's end is read to check its last line; a line is a few hundred bytes.</summary>
    private const int HistoryTailWindow = 8 * 1024;

    private readonly TimeSpan _lockTimeout;

    public FileReservationPersistence(string root, TimeProvider timeProvider, TimeSpan lockTimeout)
    {
        Root = Path.GetFullPath(root);
        TimeProvider = timeProvider;
        _lockTimeout = lockTimeout;
        ReservationsDirectory = Path.Combine(Root, "reservations");
        ActivePath = Path.Combine(ReservationsDirectory, "active.json");
        HistoryPath = Path.Combine(ReservationsDirectory, "history.jsonl");
        LockPath = Path.Combine(ReservationsDirectory, ".lock");
        CeilingPath = Path.Combine(ReservationsDirectory, "agentlocks.json");
        AgentsDirectory = Path.Combine(Root, "agents");
        MessagesDirectory = Path.Combine(Root, "messages", "index");
    }

    public TimeProvider TimeProvider { get; }

    /// <summary>Told the path and holder of a store mutex that was found abandoned and removed (for the store's log).</summary>
    public Action<string, string>? StaleMutexRemoved { get; init; }

    public string Root { get; }

    public string ReservationsDirectory { get; }

    public string ActivePath { get; }

    public string HistoryPath { get; }

    /// <summary>beadboard's store mutex.</summary>
    public string LockPath { get; }

    public string CeilingPath { get; }

    public string AgentsDirectory { get; }

    public string MessagesDirectory { get; }

    public async Task<T> UpdateAsync<T>(bool withHistory, Func<ReservationLedger, T> decide, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(ReservationsDirectory);
        using var mutex = await StoreMutex.AcquireAsync(LockPath, _lockTimeout, cancellationToken, StaleMutexRemoved).ConfigureAwait(false);

        // Everything is read and checked before anything is written, so a damaged file changes nothing.
        var active = ReadActive();
        var ceiling = ReadCeiling();
        var history = withHistory ? ReadHistory() : null;
        if (!withHistory)
        {
            RequireIntactHistoryTail();
        }

        var ledger = new ReservationLedger(active.Reservations, active.LastFencingToken ?? ceiling, AgentExists, TimeProvider.GetUtcNow(), history);
        var result = decide(ledger);
        if (ledger.Changed)
        {
            Persist(ledger, ceiling);
        }

        return result;
    }

    public async Task<AgentRecord> UpsertAgentAsync(AgentId agent, Func<AgentRecord?, DateTimeOffset, AgentRecord> decide, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(ReservationsDirectory);
        Directory.CreateDirectory(AgentsDirectory);
        using var mutex = await StoreMutex.AcquireAsync(LockPath, _lockTimeout, cancellationToken, StaleMutexRemoved).ConfigureAwait(false);
        var path = AgentPath(agent);
        AgentRecord? existing = null;
        if (File.Exists(path))
        {
            existing = Parse(path, AgentLocksJsonContext.Default.AgentRecord);
        }

        var record = decide(existing, TimeProvider.GetUtcNow());
        DurableFile.WriteAtomic(path, StoreDocument.Write(writer => JsonSerializer.Serialize(writer, record, AgentLocksJsonContext.Default.AgentRecord)));
        return record;
    }

    public Task<IReadOnlyList<AgentMessage>> ReadMessagesAsync(CancellationToken cancellationToken)
    {
        List<AgentMessage> messages = [];
        if (Directory.Exists(MessagesDirectory))
        {
            foreach (var path in Directory.EnumerateFiles(MessagesDirectory, "*.json"))
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    if (JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentLocksJsonContext.Default.AgentMessage) is { } message)
                    {
                        messages.Add(message);
                    }
                }
                catch (JsonException)
                {
                    // Messages belong to beadboard's mail; like beadboard, a damaged one is not a reservation matter.
                }
            }
        }

        return Task.FromResult<IReadOnlyList<AgentMessage>>(messages);
    }

    private static T Parse<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        => Parse(path, json => JsonSerializer.Deserialize(json, type) ?? throw new JsonException("The document is null."));

    /// <summary>Reads the file at <paramref name="path"/>; a document <paramref name="read"/> refuses is <c>STORE_CORRUPT</c>.</summary>
    private static T Parse<T>(string path, ReadDocument<T> read)
    {
        try
        {
            return read(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw Corrupt(path, e.Message, e);
        }
    }

    private static AgentLocksException Corrupt(string path, string why, Exception? inner = null)
        => new(ErrorCode.StoreCorrupt, $"{path} is damaged ({why}); nothing was changed. Repair or move it aside.", inner);

    private bool AgentExists(AgentId agent) => File.Exists(AgentPath(agent));

    /// <summary>Agent ids are lowercase words and dashes, so the path cannot leave the agents directory.</summary>
    private string AgentPath(AgentId agent) => Path.Combine(AgentsDirectory, agent.Value + ".json");

    private ActiveFile ReadActive()
    {
        if (!File.Exists(ActivePath))
        {
            return new ActiveFile { Reservations = [] };
        }

        return Parse(ActivePath, ActiveFile.Read);
    }

    private long ReadCeiling()
        => File.Exists(CeilingPath) ? Parse(CeilingPath, FencingCeiling.Read).Ceiling : 0;

    private List<ReservationHistoryEntry> ReadHistory()
    {
        List<ReservationHistoryEntry> entries = [];
        if (!File.Exists(HistoryPath))
        {
            return entries;
        }

        var number = 0;
        foreach (var line in File.ReadLines(HistoryPath))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                entries.Add(HistoryLines.Read(line));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw Corrupt(HistoryPath, $"line {number}: {e.Message}", e);
            }
        }

        // Every line reads; the last must also be finished, or the next append would glue onto it.
        RequireIntactHistoryTail();
        return entries;
    }

    /// <summary>
    /// Before appending: the history must end in a whole, readable line. A line cut off by a crash would glue our next
    /// line to it, and garbage at the end means someone else damaged it; either way refuse instead of appending.
    /// Only the tail is read, so each operation stays independent of the history's length; damage further up is
    /// found by a status (which reads every line) and by <c>doctor</c>.
    /// </summary>
    private void RequireIntactHistoryTail()
    {
        if (!File.Exists(HistoryPath))
        {
            return;
        }

        using var stream = new FileStream(HistoryPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        Span<byte> tail = stackalloc byte[(int)Math.Min(stream.Length, HistoryTailWindow)];
        stream.Seek(-tail.Length, SeekOrigin.End);
        stream.ReadExactly(tail);
        if (tail.Length == 0)
        {
            return;
        }

        if (tail[^1] != (byte)'\n')
        {
            throw Corrupt(HistoryPath, "its last line is incomplete");
        }

        var lines = tail.TrimEnd("\n"u8);
        if (lines.IsEmpty)
        {
            return; // blank lines, which readers skip
        }

        var start = lines.LastIndexOf((byte)'\n') + 1;
        if (start == 0 && tail.Length < stream.Length)
        {
            throw Corrupt(HistoryPath, "its last line is longer than 8 KiB, so it is not a history line");
        }

        try
        {
            HistoryLines.Read(Encoding.UTF8.GetString(lines[start..]));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw Corrupt(HistoryPath, $"its last line: {e.Message}", e);
        }
    }

    private void Persist(ReservationLedger ledger, long ceiling)
    {
        // The ceiling goes first: a crash after it only skips tokens, never repeats one.
        if (ledger.LastFencingToken > ceiling)
        {
            DurableFile.WriteAtomic(CeilingPath, new FencingCeiling(ledger.LastFencingToken + CeilingBlock).ToBytes());
        }

        var active = new ActiveFile { Reservations = [.. ledger.Active], LastFencingToken = ledger.LastFencingToken };
        DurableFile.WriteAtomic(ActivePath, active.ToBytes());

        var lines = new StringBuilder();
        foreach (var entry in ledger.Appended)
        {
            lines.Append(HistoryLines.Write(entry)).Append('\n');
        }

        DurableFile.AppendDurable(HistoryPath, Encoding.UTF8.GetBytes(lines.ToString()));
    }
}
