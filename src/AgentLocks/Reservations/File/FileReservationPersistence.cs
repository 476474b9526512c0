using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

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

    /// <summary>A commit's history lines are a few hundred bytes each; more than this past the committed size is not one commit.</summary>
    private const long MaxCommitBytes = 4 * 1024 * 1024;

    /// <summary>How much of the history's end is read to check its last line; a line is a few hundred bytes.</summary>
    private const int HistoryTailWindow = 8 * 1024;

    /// <summary>How often a grant or renewal rewrites the agent's <c>last_seen_at</c> at most.</summary>
    private static readonly TimeSpan LastSeenRefresh = TimeSpan.FromMinutes(1);

    /// <summary>1 once <see cref="Warm"/> has run in this process.</summary>
    private static int s_warmed;

    private readonly TimeSpan _lockTimeout;

    private readonly ActiveFileCache _active = new();

    /// <summary>Each agent's record as last read, with its bytes (used under the mutex only, like <see cref="_active"/>).</summary>
    private readonly Dictionary<AgentId, (byte[] Bytes, AgentFile File)> _agents = [];

    /// <summary>The history as our last commit left it (which file, its length, when written): its end needs no check then.</summary>
    private FileIdentity? _historyWritten;

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

    public Task<T> UpdateAsync<T>(LedgerFocus focus, Func<ReservationLedger, T> decide, CancellationToken cancellationToken)
        => UpdateAsync(focus, (ledger, _) => decide(ledger), cancellationToken);

    public Task<T> UpdateWithHistoryAsync<T>(Func<ReservationLedger, IReadOnlyList<ReservationHistoryEntry>, T> decide, CancellationToken cancellationToken)
        => UpdateAsync(LedgerFocus.WithHistory, decide, cancellationToken);

    /// <summary>One decision; <paramref name="decide"/> gets the history when <paramref name="focus"/> reads it (none otherwise).</summary>
    private async Task<T> UpdateAsync<T>(LedgerFocus focus, Func<ReservationLedger, IReadOnlyList<ReservationHistoryEntry>, T> decide, CancellationToken cancellationToken)
    {
        StoreFiles.RequireDirectory(ReservationsDirectory);
        Warm();
        UnsyncedCommit? unsynced = null;
        SafeFileHandle? historyFile = null;
        try
        {
            using var mutex = await StoreMutex.AcquireAsync(LockPath, _lockTimeout, cancellationToken, StaleMutexRemoved).ConfigureAwait(false);

            // Everything is read and checked before anything is written, so a damaged file changes nothing.
            historyFile = StoreFiles.OpenRegular(HistoryPath, out var historyIdentity, write: true);
            var state = ReadState(focus.History, mutex.Staged, historyFile, historyIdentity);
            Dictionary<AgentId, AgentFile?> agents = [];
            var ledger = new ReservationLedger(state.Active.Reservations, state.LastFencingToken, agent => LookUpAgent(agent, agents) is not null, TimeProvider.GetUtcNow());
            var result = decide(ledger, state.History ?? []);
            if (ledger.Changed)
            {
                unsynced = Commit(ledger, state, ref historyFile, mutex);
                RefreshLastSeen(ledger, agents);
            }

            return result;
        }
        finally
        {
            try
            {
                if (unsynced is not null)
                {
                    SyncCommit(unsynced);
                }
            }
            finally
            {
                historyFile?.Dispose();
            }
        }
    }

    /// <summary>
    /// A commit's syncs and rename when it was handed over, and its last sync, once the mutex is let go
    /// (<see cref="UnsyncedCommit"/>); only then is the commit reported. A power cut before it loses only commits never
    /// reported, and the next call cuts away their history lines (<see cref="RepairCutOffCommit"/>).
    /// </summary>
    private void SyncCommit(UnsyncedCommit commit)
    {
        if (commit.IsHandedOver)
        {
            FaultPoint?.Invoke("handed-over", ReservationsDirectory);
            try
            {
                commit.Settle();
            }
            catch (IOException e)
            {
                commit.Dispose();
                throw new IOException($"The change was decided and written in {ReservationsDirectory}, but syncing it failed ({e.Message}): it is in effect only if a commit decided after it is (check with status).", e);
            }
        }

        FaultPoint?.Invoke("directory-unsynced", ReservationsDirectory);
        try
        {
            commit.Complete();
        }
        catch (IOException e)
        {
            throw new IOException($"The change is made in {ReservationsDirectory} but may not survive a power cut: {e.Message}", e);
        }
    }

    public async Task<AgentRecord> UpsertAgentAsync(AgentId agent, Func<AgentRecord?, DateTimeOffset, AgentRecord> decide, CancellationToken cancellationToken)
    {
        StoreFiles.RequireDirectory(ReservationsDirectory);
        StoreFiles.RequireDirectory(AgentsDirectory);
        using var mutex = await StoreMutex.AcquireAsync(LockPath, _lockTimeout, cancellationToken, StaleMutexRemoved).ConfigureAwait(false);
        var path = AgentPath(agent);
        var existing = AgentFile.Read(path);
        var record = decide(existing?.Record, TimeProvider.GetUtcNow());
        AgentFile.Write(path, existing, record);
        return record;
    }

    public Task<IReadOnlyList<AgentMessage>> ReadMessagesAsync(CancellationToken cancellationToken)
    {
        List<AgentMessage> messages = [];
        if (Native.StatNoFollow(MessagesDirectory) is { IsDirectory: true })
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(MessagesDirectory, "*.json"))
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    if (StoreFiles.ReadIfExists(path) is { } bytes && JsonSerializer.Deserialize(bytes, AgentLocksJsonContext.Default.AgentMessage) is { } message)
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

    /// <summary>Reads the file at <paramref name="path"/> (null when absent); a document <paramref name="read"/> refuses is <c>STORE_CORRUPT</c>.</summary>
    private static T? Parse<T>(string path, ReadDocument<T> read)
        where T : class
    {
        if (StoreFiles.ReadIfExists(path) is not { } bytes)
        {
            return null;
        }

        try
        {
            return read(bytes);
        }
        catch (JsonException e)
        {
            throw Corrupt(path, e.Message, e);
        }
    }

    internal static AgentLocksException Corrupt(string path, string why, Exception? inner = null)
        => new(ErrorCode.StoreCorrupt, $"{path} is damaged ({why}); nothing was changed. Repair or move it aside.", inner);

    /// <summary>
    /// Runs the readers, the decision and the writers once on small documents in memory before the mutex is first
    /// taken, so their first-call (JIT) cost is not paid while holding it: beadboard gives up after 5 s of waiting.
    /// </summary>
    private static void Warm()
    {
        if (Interlocked.Exchange(ref s_warmed, 1) != 0)
        {
            return;
        }

        var sample = ActiveFile.Read("""{"reservations":[{"reservation_id":"r1","scope":"s/**","agent_id":"agent-a","bead_id":"b","state":"active","created_at":"2026-01-01T00:00:00.000Z","expires_at":"2026-01-01T00:00:00.000Z","x":1}]}"""u8);
        var agent = AgentFile.Parse("""{"agent_id":"agent-a","display_name":"a","role":"agent","status":"idle","created_at":"2026-01-01T00:00:00.000Z","last_seen_at":"2026-01-01T00:00:00.000Z","version":1}"""u8.ToArray(), "sample");
        _ = JsonSerializer.SerializeToNode(agent.Record, AgentLocksJsonContext.Default.AgentRecord);
        var ledger = new ReservationLedger(sample.Reservations, 1, _ => true, sample.Reservations[0].CreatedAt);
        _ = ledger.Reserve(new ReservationRequest(agent.Record.AgentId, ScopePattern.Parse("s/x"), BeadId.Parse("b")), ReservationPolicy.Default);
        _ = ledger.Release(agent.Record.AgentId, ScopePattern.Parse("s/x"));
        _ = new ActiveFile { Reservations = [.. ledger.Active], LastFencingToken = 1, HistorySize = 0 }.ToBytes();
        foreach (var entry in ledger.Appended)
        {
            _ = HistoryLines.BatchOf(Encoding.UTF8.GetBytes(HistoryLines.Write(entry, 0)));
        }
    }

    /// <summary>The agent's record (read once per operation); a damaged one is <c>STORE_CORRUPT</c>, so nothing is granted on it.</summary>
    private AgentFile? LookUpAgent(AgentId agent, Dictionary<AgentId, AgentFile?> seen)
    {
        if (!seen.TryGetValue(agent, out var file))
        {
            seen[agent] = file = ReadAgent(agent);
        }

        return file;
    }

    /// <summary>The agent's record as the file now holds it, parsed only when its bytes differ from the last read's.</summary>
    private AgentFile? ReadAgent(AgentId agent)
    {
        var path = AgentPath(agent);
        if (StoreFiles.ReadIfExists(path) is not { } bytes)
        {
            _agents.Remove(agent);
            return null;
        }

        if (_agents.TryGetValue(agent, out var known) && known.Bytes.AsSpan().SequenceEqual(bytes))
        {
            return known.File;
        }

        var file = AgentFile.Parse(bytes, path);
        _agents[agent] = (bytes, file);
        return file;
    }

    /// <summary>
    /// beadboard judges an agent by its <c>last_seen_at</c> (stale after 15 minutes): a grant or renewal refreshes
    /// it, at most once a minute, so an agent that keeps its leases is never taken for gone.
    /// </summary>
    private void RefreshLastSeen(ReservationLedger ledger, Dictionary<AgentId, AgentFile?> agents)
    {
        foreach (var agent in ledger.SeenAgents)
        {
            if (LookUpAgent(agent, agents) is { } file && ledger.Now - file.Record.LastSeenAt >= LastSeenRefresh)
            {
                AgentFile.Write(AgentPath(agent), file, file.Record with { LastSeenAt = ledger.Now, Version = file.Record.Version + 1 });
            }
        }
    }

    /// <summary>Agent ids are lowercase words and dashes, so the path cannot leave the agents directory.</summary>
    private string AgentPath(AgentId agent) => Path.Combine(AgentsDirectory, agent.Value + ".json");

    /// <summary>active.json, or the newest version of it a commit pipeline has staged (<paramref name="staged"/>, open).</summary>
    private ActiveFile ReadActive(SafeFileHandle? staged = null)
    {
        FileIdentity identity = default;
        using var file = staged is null ? StoreFiles.OpenRegular(ActivePath, out identity) : null;
        var read = staged ?? file;
        try
        {
            return read is null ? new ActiveFile { Reservations = [] } : _active.Read(read, staged is null ? identity.Length : Native.Stat(staged).Length);
        }
        catch (JsonException e)
        {
            throw Corrupt(ActivePath, e.Message, e);
        }
    }

    private long ReadCeiling() => Parse(CeilingPath, FencingCeiling.Read)?.Ceiling ?? 0;

    /// <summary>
    /// Reads the active file (or the version <paramref name="staged"/> by a commit pipeline), the ceiling and the history's end (<paramref name="historyFile"/>, open, null when there is
    /// none; <paramref name="historyIdentity"/> says which file and how long); repairs a commit cut off between its two
    /// writes (its history lines are cut away: it never reported success); works out the last fencing token handed out.
    /// </summary>
    private StoreState ReadState(bool withHistory, SafeFileHandle? staged, SafeFileHandle? historyFile, FileIdentity historyIdentity)
    {
        var active = ReadActive(staged);
        var ceiling = ReadCeiling();
        var historySize = historyFile is null ? 0 : RepairCutOffCommit(active, historyFile, historyIdentity.Length);
        var history = withHistory ? ReadHistory() : null;
        if (history is null && historyFile is not null && !(historySize == historyIdentity.Length && historyIdentity == _historyWritten))
        {
            // Unless the history is just as our last commit left it.
            var tail = new byte[(int)Math.Min(historySize, HistoryTailWindow)];
            RequireIntactHistoryTail(tail.AsSpan(0, Native.ReadAt(historyFile, tail, historySize - tail.Length)), historySize);
        }

        // active.json is the latest commit only when the history has not grown since; otherwise (a restored copy,
        // beadboard's rewrite) its last token may be behind, and the ceiling, above every token handed out, counts.
        var latest = active.HistorySize == historySize;
        var last = latest ? active.LastFencingToken ?? ceiling : Math.Max(active.LastFencingToken ?? 0, ceiling);
        return new StoreState(active, ceiling, historySize, last, history);
    }

    /// <summary>
    /// When the history is longer than active.json says and everything past that point is what commits of ours that
    /// were never reported left behind, it is cut away. That is so when every line past it names one batch (a last
    /// line may be cut off) and that batch is where it starts (one commit: it died between its two writes, or a power
    /// cut lost its rename), or the batch that the line before it names too (later commits of a chain whose renames a
    /// power cut lost, <see cref="UnsyncedCommit"/>). Anything else past that point (another writer's lines, commits
    /// of their own batches: active.json restored from an older copy) is left alone. Returns the history's size.
    /// </summary>
    private long RepairCutOffCommit(ActiveFile active, SafeFileHandle history, long size)
    {
        if (active.HistorySize is not { } committed || size <= committed || size - committed > MaxCommitBytes)
        {
            return size;
        }

        var tail = new byte[size - committed];
        _ = Native.ReadAt(history, tail, committed);
        var lines = tail.AsSpan();
        long? batch = null;
        while (lines.IndexOf((byte)'\n') is >= 0 and var end)
        {
            var named = HistoryLines.BatchOf(lines[..end]);
            if (named is null || named > committed || (batch ??= named) != named)
            {
                return size;
            }

            lines = lines[(end + 1)..];
        }

        if (batch is { } chain && chain != committed && LastBatch(history, committed) != chain)
        {
            return size;
        }

        RandomAccess.SetLength(history, committed);
        Native.Fdatasync(history, HistoryPath);
        _historyWritten = null;
        return committed;
    }

    /// <summary>The batch that the last line of the history's first <paramref name="end"/> bytes names, if it is one of ours.</summary>
    private static long? LastBatch(SafeFileHandle history, long end)
    {
        var tail = new byte[(int)Math.Min(end, HistoryTailWindow)];
        var lines = tail.AsSpan(0, Native.ReadAt(history, tail, end - tail.Length)).TrimEnd("\n"u8);
        return lines.IsEmpty ? null : HistoryLines.BatchOf(lines[(lines.LastIndexOf((byte)'\n') + 1)..]);
    }

    private List<ReservationHistoryEntry> ReadHistory()
    {
        List<ReservationHistoryEntry> entries = [];
        if (StoreFiles.ReadIfExists(HistoryPath) is not { } bytes)
        {
            return entries;
        }

        var number = 0;
        foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n'))
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
        RequireIntactHistoryTail(bytes.AsSpan(Math.Max(0, bytes.Length - HistoryTailWindow)), bytes.Length);
        return entries;
    }

    /// <summary>
    /// Before appending: the history must end in a whole, readable line. A line cut off by a crash would glue our next
    /// line to it, and garbage at the end means someone else damaged it; either way refuse instead of appending.
    /// Only the <paramref name="tail"/> of a history <paramref name="length"/> bytes long is checked, so each operation
    /// stays independent of the history's length; damage further up is found by a status (which reads every line) and
    /// by <c>doctor</c>.
    /// </summary>
    private void RequireIntactHistoryTail(ReadOnlySpan<byte> tail, long length)
    {
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
        if (start == 0 && tail.Length < length)
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

    /// <summary>
    /// Commits: the ceiling (only ever raised, so a crash after it skips tokens, never repeats one), the new active.json
    /// under a temporary name (it names the history's new size), the history lines (written at the end), both synced,
    /// then active.json's rename. If a write fails, the history is cut back to its old size, so a failed call changed
    /// nothing; a crash before the rename is repaired by the next call (<see cref="RepairCutOffCommit"/>).
    /// <para>
    /// Three syncs per commit, each needed for a success to survive a power cut: the history's <c>fdatasync</c>
    /// (data and size, not timestamps; an append to an existing file needs no directory sync, only its creation
    /// does), the temporary file's, and the directory's after the rename (<see cref="UnsyncedCommit"/>). The first two
    /// run at once (<see cref="Overlapped"/>), and both before the rename: active.json must never name history lines
    /// that a power cut could lose, or a reported commit would be missing from the history. Nothing else is synced per
    /// operation: the ceiling once per <see cref="CeilingBlock"/> grants, an agent's record at most once a minute.
    /// </para>
    /// <para>
    /// Once written, the commit is handed over (<see cref="StoreMutex.HandOver"/>): its syncs and rename then come
    /// after the mutex is let go, while the next holder decides on the staged version; or it is settled at once.
    /// </para>
    /// Returns the commit, whose remaining syncs the caller runs once it has let go of the mutex. The history
    /// (<paramref name="historyFile"/>) is created if there is none, and the caller closes it after those syncs.
    /// </summary>
    private UnsyncedCommit Commit(ReservationLedger ledger, StoreState state, ref SafeFileHandle? historyFile, StoreMutex mutex)
    {
        if (ledger.LastFencingToken > state.Ceiling)
        {
            DurableFile.WriteAtomic(CeilingPath, new FencingCeiling(ledger.LastFencingToken + CeilingBlock).ToBytes());
        }

        var created = historyFile is null;
        var history = historyFile ??= StoreFiles.OpenOrCreateRegular(HistoryPath);
        UnsyncedCommit? commit = null;
        try
        {
            commit = UnsyncedCommit.Begin(LockPath + ".queue", state.HistorySize, () => LastBatch(history, state.HistorySize));
            var lines = new StringBuilder();
            foreach (var entry in ledger.Appended)
            {
                lines.Append(HistoryLines.Write(entry, commit.Batch)).Append('\n');
            }

            var bytes = Encoding.UTF8.GetBytes(lines.ToString());
            var active = new ActiveFile { Reservations = [.. ledger.Active], LastFencingToken = ledger.LastFencingToken, HistorySize = state.HistorySize + bytes.Length };
            commit.Stage(StagedFile.Write(ActivePath, _active.Write(active)), history, HistoryPath, created);
            Native.WriteAt(history, bytes, state.HistorySize);
            _historyWritten = Native.Stat(history);
            FaultPoint?.Invoke("history-appended", ReservationsDirectory);
            mutex.HandOver(commit);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            commit?.Dispose();
            RandomAccess.SetLength(history, state.HistorySize);
            Native.Fdatasync(history, HistoryPath);
            throw new IOException($"Writing the store under {ReservationsDirectory} failed ({e.Message}); the change was undone, nothing was changed.", e);
        }
        catch
        {
            commit?.Dispose();
            throw;
        }

        RecordRepository();
        return commit;
    }

    /// <summary>
    /// Test seam: called with the reservations directory at named points of a commit, so a test can kill the process
    /// there or see that it passed: <c>history-appended</c> (written, not yet synced or handed over), <c>handed-over</c>
    /// (mutex let go, the next holder may decide on it; not yet synced or renamed), <c>directory-unsynced</c>
    /// (renamed, mutex let go, not yet synced), <c>earlier-commit-unsynced</c> (an earlier commit's sync still running).
    /// </summary>
    internal static Action<string, string>? FaultPoint { get; set; }

    /// <summary>What one operation read: the active file, the ceiling, the history's size, the last token handed out.</summary>
    private sealed record StoreState(ActiveFile Active, long Ceiling, long HistorySize, long LastFencingToken, List<ReservationHistoryEntry>? History);
}
