using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// A commit whose new active.json is staged, or in place, but whose rename is not yet durable. A commit lets go of the
/// store mutex before its syncs when it can (<see cref="StoreMutex.HandOver"/>: the next writer decides on the staged
/// version, <see cref="CommitPipeline"/>), and always before its last sync (the directory's, which makes the rename
/// survive a power cut), so the next writer need not wait for the device.
/// <para>
/// Each commit holds a shared lock on one byte of the mutex's line file (<see cref="QueueTicket.End"/>) from before
/// its history append until its sync is done (the kernel drops it if the process dies). A commit that finds the byte
/// held comes after commits whose renames a power cut may still lose. Its history lines then name, as their batch, the
/// batch of the last commit's lines instead of their own start (<see cref="Batch"/>): the commits form a chain that all
/// name where its first commit began. A power cut may leave active.json at any commit of the chain, or before it,
/// with the history holding lines of the later ones, none of them reported; the next call cuts away every line past
/// what active.json names when all of them name one batch that the commit active.json is at names too
/// (<see cref="FileReservationPersistence"/>'s repair). So the chained commit appends at once: it does not sync the
/// directory first, and its one sync before the rename (history and active.json at once) is all that stands between
/// two commits. A commit that cannot chain (the last line is not ours, or the line file cannot be used) syncs the
/// directory itself before it appends, which makes every earlier rename durable; its lines name its own start.
/// </para>
/// </summary>
internal sealed class UnsyncedCommit : IDisposable
{
    private readonly SafeFileHandle? _mark;
    private readonly bool _syncEarlier;
    private StagedFile? _staged;
    private SafeFileHandle? _history;
    private string _historyPath = string.Empty;
    private bool _historyCreated;

    /// <summary>Our part in the pipeline and the staged version's number in it, once handed over (<see cref="HandedOver"/>).</summary>
    private CommitPipeline? _part;
    private long _number;

    private UnsyncedCommit(SafeFileHandle? mark, long batch, bool syncEarlier)
    {
        _mark = mark;
        Batch = batch;
        _syncEarlier = syncEarlier;
    }

    /// <summary>The batch this commit's history lines name: where they start, or where their chain began.</summary>
    public long Batch { get; }

    /// <summary>The name the new active.json is staged under.</summary>
    public string TemporaryName => _staged!.TemporaryName;

    /// <summary>Whether the commit was handed over, so its syncs and rename come after the mutex (<see cref="Settle"/>).</summary>
    public bool IsHandedOver { get; private set; }

    /// <summary>
    /// Under the store mutex, before the commit writes anything: marks it unsynced. Its lines are to start at
    /// <paramref name="start"/>; <paramref name="lastBatch"/> gives the batch the history's last line names (null when
    /// it is not one of ours), asked only when an earlier commit is still unsynced.
    /// </summary>
    public static UnsyncedCommit Begin(string linePath, long start, Func<long?> lastBatch)
    {
        var mark = Native.OpenNoFollow(linePath, write: true, create: false, out _);
        try
        {
            if (mark is null || !Native.Stat(mark).IsRegular)
            {
                mark?.Dispose();
                return new UnsyncedCommit(null, start, syncEarlier: true); // no file to tell: every commit syncs the earlier ones itself
            }

            var batch = start;
            var syncEarlier = false;
            if (!Native.LockRange(mark, QueueTicket.End, 1, wait: false))
            {
                FileReservationPersistence.FaultPoint?.Invoke("earlier-commit-unsynced", Path.GetDirectoryName(linePath)!);
                if (lastBatch() is { } earlier && earlier <= start)
                {
                    batch = earlier;
                }
                else
                {
                    syncEarlier = true;
                }
            }

            // Ours turns shared; or shares theirs. Only the mutex's holder takes it exclusively, so this never waits.
            Native.LockRange(mark, QueueTicket.End, 1, wait: true, shared: true);
            return new UnsyncedCommit(mark, batch, syncEarlier);
        }
        catch
        {
            mark?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes the commit's new active.json (written under its temporary name, not yet synced) and the history it is to
    /// append to (<paramref name="created"/> by this commit: then the directory is synced for it too), before the lines
    /// are appended; makes the earlier commits durable first when this one does not chain onto them.
    /// </summary>
    public void Stage(StagedFile staged, SafeFileHandle history, string historyPath, bool created)
    {
        _staged = staged;
        (_history, _historyPath, _historyCreated) = (history, historyPath, created);
        if (_syncEarlier)
        {
            staged.SyncDirectory();
        }
    }

    /// <summary>Takes our part in the pipeline from the mutex, with the number the staged version has in it.</summary>
    public void HandedOver(CommitPipeline part, long number) => (_part, _number, IsHandedOver) = (part, number, true);

    /// <summary>
    /// Syncs the history and the new active.json at once (both before the rename: active.json must never name history
    /// lines that a power cut could lose), then puts the new active.json in place unless a newer version is
    /// (<paramref name="pipeline"/>: the mutex's, when settled under it; a handed-over commit uses its own part).
    /// </summary>
    public void Settle(CommitPipeline? pipeline = null)
    {
        Overlapped.Run(_staged!.Sync, () => Native.Fdatasync(_history!, _historyPath));
        if (_historyCreated)
        {
            Native.FsyncDirectory(Path.GetDirectoryName(_historyPath)!);
        }

        if (_part is { } part)
        {
            _part = null;
            try
            {
                part.Finish(_number, () => _staged.Place(), _staged.Discard); // and leaves: .lock may go before the directory's sync, as without a pipeline
            }
            finally
            {
                part.Dispose();
            }
        }
        else if (pipeline is not null)
        {
            pipeline.PlaceNewest(() => _staged.Place());
        }
        else
        {
            _staged.Place();
        }
    }

    /// <summary>The commit's last sync (after the mutex); then the mark goes.</summary>
    public void Complete()
    {
        try
        {
            _staged!.SyncDirectory();
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Drops the mark and the staged file (its temporary name, unless renamed); leaves the pipeline.</summary>
    public void Dispose()
    {
        _mark?.Dispose();
        _staged?.Dispose();
        if (_part is { } part)
        {
            _part = null;
            try
            {
                part.Leave(holdingQueue: false);
            }
            finally
            {
                part.Dispose();
            }
        }
    }
}
