using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// A commit whose new active.json is staged, or in place, but whose rename is not yet durable. A commit lets go of the
/// store mutex before its last sync (the directory's, which makes the rename survive a power cut), so the next writer
/// need not wait for the device. That next commit must not append its history lines before the earlier rename is
/// durable: a power cut could then leave two commits' lines past what active.json names, which the next call could not
/// tell from an older active.json restored by hand (whose history must be kept), and so could not cut away.
/// <para>
/// So each commit holds a shared lock on one byte of the mutex's line file (<see cref="QueueTicket.End"/>) from before
/// its history append until its sync is done (the kernel drops it if the process dies). A commit that finds the byte
/// held, or cannot use the file, syncs the directory itself before it appends: any sync of the directory makes every
/// rename before it durable, and one already running is mostly done by then. It never waits for the other process.
/// </para>
/// </summary>
internal sealed class UnsyncedCommit : IDisposable
{
    private readonly StagedFile _staged;
    private readonly SafeFileHandle? _mark;

    private UnsyncedCommit(StagedFile staged, SafeFileHandle? mark)
    {
        _staged = staged;
        _mark = mark;
    }

    /// <summary>
    /// Under the store mutex, before the commit appends its history: makes every earlier commit durable, then marks this
    /// one unsynced. Owns <paramref name="staged"/> (the new active.json) from here on.
    /// </summary>
    public static UnsyncedCommit Begin(string linePath, StagedFile staged)
    {
        SafeFileHandle? mark = null;
        try
        {
            mark = Native.OpenNoFollow(linePath, write: true, create: false, out _);
            if (mark is null || !Native.Stat(mark).IsRegular)
            {
                mark?.Dispose();
                mark = null;
                staged.SyncDirectory(); // no file to tell: every commit syncs the earlier ones itself
            }
            else
            {
                if (!Native.LockRange(mark, QueueTicket.End, 1, wait: false))
                {
                    FileReservationPersistence.FaultPoint?.Invoke("earlier-commit-unsynced", Path.GetDirectoryName(linePath)!);
                    staged.SyncDirectory(); // an earlier commit's sync is still running
                }

                // Ours turns shared; or shares theirs. Only the mutex's holder takes it exclusively, so this never waits.
                Native.LockRange(mark, QueueTicket.End, 1, wait: true, shared: true);
            }

            return new UnsyncedCommit(staged, mark);
        }
        catch
        {
            mark?.Dispose();
            staged.Dispose();
            throw;
        }
    }

    /// <summary>Puts the new active.json in place (under the mutex).</summary>
    public void Place() => _staged.Place();

    /// <summary>The commit's last sync (after the mutex); then the mark goes.</summary>
    public void Complete()
    {
        try
        {
            _staged.SyncDirectory();
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Drops the mark and the staged file (its temporary name, unless renamed).</summary>
    public void Dispose()
    {
        _mark?.Dispose();
        _staged.Dispose();
    }
}
