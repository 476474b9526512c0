using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// Commits that overlap. A holder of the store mutex lets the next AgentLocks process decide as soon as its new
/// active.json is written, and syncs and renames it after: the next decides on that staged version. beadboard must
/// never read a decision that is only staged, so <c>.lock</c> stays in place until the last of these commits is done;
/// the AgentLocks processes pass it on among themselves. This is one process's part in that (it holds a shared
/// <c>flock</c> on <c>.lock</c>, so a look at the file sees it held while any part lives), and the record they share,
/// in the mutex's line file: which <c>.lock</c> they pass on (boot, device, inode, when written), the
/// newest staged version (a number and its temporary file) and the newest put in place. The record is read and
/// written under a lock on a byte of its own.
/// <list type="bullet">
/// <item>A process whose turn in the queue comes finds this pipeline's <c>.lock</c> and joins (<see cref="TryJoin"/>);
/// it decides on the newest staged version when that is newer than the one in place.</item>
/// <item>A commit is renamed into place only if no newer one is (<see cref="Finish"/>): a newer one was decided on top
/// of it and carries its decision.</item>
/// <item><c>.lock</c> is removed only by a holder of the queue. The last part to leave removes it when it can take the
/// queue at once (<see cref="Leave"/>); otherwise the queue's holder joins, or drains the pipeline and removes it
/// (<see cref="Drain"/>, <see cref="StoreMutex"/>'s judge).</item>
/// </list>
/// If every part dies, the next process joins all the same: the newest staged version is whole (written before it
/// was recorded) and its history lines are in the history. Whoever removes <c>.lock</c> first syncs and renames into
/// place a staged version whose commit died (<see cref="PlaceAbandoned"/>), so what a joiner read stays. After a reboot
/// (another boot id) nothing staged is trusted: an unsynced file may be empty, so the next process judges
/// <c>.lock</c> as any other.
/// </summary>
internal sealed class CommitPipeline : IDisposable
{
    private const long LockByte = QueueTicket.End + 1;

    /// <summary>The record's bytes follow the line's counter: the line locks those bytes but never writes them, and a file size limit is met far below the line's end.</summary>
    private const long RecordOffset = 8;
    private const long Magic = 0x3150_4950_4b4c_4741; // "AGLKPIP1"
    private const int BootLength = 40;
    private const int NameLength = 96;
    private const int RecordLength = 8 + BootLength + (8 * 6) + 4 + NameLength;

    /// <summary>The history beside active.json, whose lines a staged version names.</summary>
    private const string HistoryName = "history.jsonl";

    private static readonly string Boot = LinuxProcessProbe.Instance.BootId ?? string.Empty;

    private readonly SafeFileHandle _line;
    private readonly string _lockPath;
    private readonly string _directory;
    private SafeFileHandle? _lock;

    /// <summary>Which <c>.lock</c> we are in (<see cref="_lock"/>'s file).</summary>
    private FileIdentity _identity;

    /// <summary>Whether the record names our <c>.lock</c>: we joined, or staged a commit on the one we created.</summary>
    private bool _begun;

    private CommitPipeline(SafeFileHandle line, string lockPath)
    {
        _line = line;
        _lockPath = lockPath;
        _directory = Path.GetDirectoryName(lockPath)!;
    }

    /// <summary>
    /// The pipeline record beside the mutex at <paramref name="lockPath"/>; null when its line file cannot be used (then
    /// every commit is whole before the next) or, unless <paramref name="create"/>, does not exist.
    /// </summary>
    public static CommitPipeline? Open(string lockPath, bool create = true)
    {
        if (Boot.Length is 0 or > BootLength || Native.OpenNoFollow(lockPath + ".queue", write: true, create, out _) is not { } line)
        {
            return null;
        }

        if (!Native.Stat(line).IsRegular)
        {
            line.Dispose();
            return null;
        }

        return new CommitPipeline(line, lockPath);
    }

    /// <summary>
    /// Takes part with the <c>.lock</c> this process has just created (<paramref name="lockFile"/>, with our shared flock).
    /// Nobody can join before we let go of the queue, so the record names it only once a commit is staged on it
    /// (<see cref="Stage"/>); until then it is removed as a plain mutex file.
    /// </summary>
    public void Created(SafeFileHandle lockFile)
    {
        _lock = lockFile;
        _identity = Native.Stat(lockFile);
    }

    /// <summary>
    /// Joins the pipeline when the <c>.lock</c> at its path is the one the record names (this boot); then
    /// <paramref name="staged"/> is the newest staged version, open, when it is newer than the one in place (null: read
    /// active.json). False when the file is anything else: judge it.
    /// </summary>
    public bool TryJoin(out SafeFileHandle? staged)
    {
        staged = null;
        using (Hold())
        {
            var record = Read();
            if (!record.Open || record.BootId != Boot || Native.OpenNoFollow(_lockPath, write: false, create: false, out _) is not { } file)
            {
                return false;
            }

            var identity = Native.Stat(file);
            if (!Names(record, identity) || !Native.TryLockShared(file))
            {
                file.Dispose(); // not ours; or a look at it holds it this moment: judged, then tried again
                return false;
            }

            if (record.Staged > record.Published)
            {
                // Missing (or not a regular file) only when doctor removed a dead writer's file, its commit failed, or
                // someone replaced it: active.json may then lack commits before it that are still to be renamed, so wait
                // until the pipeline is done (judged as any other).
                staged = StagedFile.WriterOf(record.StagedName) is not null && !record.StagedName.Contains('/')
                    ? Native.OpenNoFollow(Path.Combine(_directory, record.StagedName), write: false, create: false, out _)
                    : null;
                if (staged is null || !Native.Stat(staged).IsRegular)
                {
                    staged?.Dispose();
                    staged = null;
                    file.Dispose();
                    return false;
                }
            }

            (_lock, _identity, _begun) = (file, identity, true);
            return true;
        }
    }

    /// <summary>
    /// A look at <c>.lock</c> (<paramref name="lockFile"/>, open): whether anyone holds a flock on it, and whether it is a
    /// pipeline's (which a queue holder that finds nobody in it may remove). Taken under the record's lock, so a part
    /// leaving never takes this look for another part still in the pipeline.
    /// </summary>
    public (bool Held, bool Claimed) Look(SafeFileHandle lockFile)
    {
        using (Hold())
        {
            var free = Native.TryLockExclusive(lockFile);
            if (free)
            {
                Native.Unlock(lockFile);
            }

            var record = Read();
            return (!free, record.Open && record.BootId == Boot && Names(record, Native.Stat(lockFile)));
        }
    }

    /// <summary>Removes a pipeline's <c>.lock</c> that nobody is in (the caller holds the queue, so nobody joins meanwhile), when it is still that file.</summary>
    public void Remove(FileIdentity lockFile)
    {
        using (Hold())
        {
            RemoveHeld(Read(), lockFile);
        }
    }

    /// <summary>
    /// Records a commit's staged version (its temporary file's name), and our <c>.lock</c> as the pipeline's if it is
    /// not yet; its number, to <see cref="Finish"/> it with.
    /// </summary>
    public long Stage(string temporaryName)
    {
        using (Hold())
        {
            var record = Read();
            var last = Math.Max(record.Staged, record.Published);
            Write(_begun
                ? record with { Staged = last + 1, StagedName = temporaryName }
                : new Record(Boot, _identity.Device, _identity.Inode, _identity.Modified.UtcTicks, true, last + 1, last, temporaryName));
            _begun = true;
            return last + 1;
        }
    }

    /// <summary>
    /// A handed-over commit's end: runs <paramref name="place"/> (the rename) unless a version newer than
    /// <paramref name="number"/> is in place already, and otherwise <paramref name="discard"/> (the temporary file goes
    /// while we are in: once the last is out, a change of the directory in beadboard's window is taken for beadboard's);
    /// then leaves the pipeline (<see cref="Leave"/>).
    /// </summary>
    public void Finish(long number, Action place, Action discard)
    {
        using (Hold())
        {
            var record = Read();
            var placed = record.Published < number;
            if (placed)
            {
                place();
                record = record with { Published = number };
            }
            else
            {
                discard();
            }

            if (!LeaveHeld(record, holdingQueue: false) && placed)
            {
                Write(record);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="place"/> (the rename of a commit settled under the mutex) as the newest version, which no
    /// commit before it may rename over.
    /// </summary>
    public void PlaceNewest(Action place)
    {
        if (!_begun)
        {
            place(); // our own .lock, no commit before ours in it
            return;
        }

        using (Hold())
        {
            var record = Read();
            place();
            var number = Math.Max(record.Staged, record.Published) + 1;
            Write(record with { Staged = number, Published = number, StagedName = string.Empty });
        }
    }

    /// <summary>
    /// Leaves the pipeline. The last to leave removes <c>.lock</c> if it holds the queue (<paramref name="holdingQueue"/>)
    /// or can take it at once; otherwise the queue's holder will join or remove it.
    /// </summary>
    public void Leave(bool holdingQueue)
    {
        if (!_begun)
        {
            RemoveOwn();
            return;
        }

        using (Hold())
        {
            LeaveHeld(Read(), holdingQueue);
        }
    }

    /// <summary>
    /// For a holder of the queue that is keeping it for beadboard: waits (up to <paramref name="timeout"/>) for the others
    /// to finish, then removes <c>.lock</c>. If they take longer, the last of them removes it once the queue is free.
    /// </summary>
    public void Drain(TimeSpan timeout)
    {
        if (!_begun)
        {
            RemoveOwn();
            return;
        }

        _lock?.Dispose();
        _lock = null;
        if (Native.OpenNoFollow(_lockPath, write: false, create: false, out _) is not { } probe)
        {
            return;
        }

        if (Native.TryLockExclusive(probe) || BlockingLock.TakeAsync(probe, Native.LockExclusive, timeout, CancellationToken.None).GetAwaiter().GetResult())
        {
            using (probe)
            {
                Remove(Native.Stat(probe));
            }
        }
    }

    /// <summary>Lets go of the record file, and of <c>.lock</c> if still held (its removal then falls to whoever comes next).</summary>
    public void Dispose()
    {
        _lock?.Dispose();
        _line.Dispose();
    }

    /// <summary>Leaves (under the record's lock); whether we removed <c>.lock</c>, and so wrote <paramref name="record"/>.</summary>
    private bool LeaveHeld(Record record, bool holdingQueue)
    {
        using var mine = _lock;
        _lock = null;

        // Our shared flock turns exclusive only when nobody else is in; a failed try lets go of it, which is leaving.
        if (mine is null || !Native.TryLockExclusive(mine))
        {
            return false; // the last of the others removes it
        }

        using var queue = holdingQueue ? null : Native.OpenDirectoryNoFollow(_directory, out _);
        if (!holdingQueue && (queue is null || !Native.TryLockExclusive(queue)))
        {
            return false; // the queue's holder joins or removes it
        }

        return RemoveHeld(record, _identity);
    }

    /// <summary>Removes the <c>.lock</c> we created and no commit was staged on (we hold the queue, so nobody joined).</summary>
    private void RemoveOwn()
    {
        try
        {
            if (Native.StatNoFollow(_lockPath) is { } now && now.SameFile(_identity))
            {
                File.Delete(_lockPath);
            }
        }
        finally
        {
            _lock?.Dispose();
            _lock = null;
        }
    }

    private static bool Names(Record record, FileIdentity lockFile)
        => record.Device == lockFile.Device && record.Inode == lockFile.Inode && record.Written == lockFile.Modified.UtcTicks;

    private bool RemoveHeld(Record record, FileIdentity lockFile)
    {
        if (!record.Open || !Names(record, lockFile))
        {
            return false;
        }

        if (record.Staged > record.Published)
        {
            PlaceAbandoned(record.StagedName);
        }

        if (Native.StatNoFollow(_lockPath) is { } now && now.SameFile(lockFile))
        {
            File.Delete(_lockPath);
        }

        Write(record with { Open = false, Published = Math.Max(record.Staged, record.Published) });
        return true;
    }

    /// <summary>
    /// The newest staged version's commit never put it in place: its process died after handing it over. The version
    /// is whole, and others may have read it already, so it is synced and put in place now, with the history whose
    /// lines it names. If doctor removed it, active.json stands and the next call cuts those lines.
    /// </summary>
    private void PlaceAbandoned(string name)
    {
        var end = name.IndexOf(".tmp-", StringComparison.Ordinal);
        if (StagedFile.WriterOf(name) is null || name.Contains('/') || end <= 0 || Native.OpenDirectoryNoFollow(_directory, out _) is not { } directory)
        {
            return;
        }

        using (directory)
        {
            using var version = Native.OpenForReadAt(directory, name, out _);
            if (version is null || !Native.Stat(version).IsRegular)
            {
                return;
            }

            Native.Fsync(version, name);
            using (var history = Native.OpenForReadAt(directory, HistoryName, out _))
            {
                if (history is not null && Native.Stat(history).IsRegular)
                {
                    Native.Fdatasync(history, HistoryName);
                }
            }

            var errno = Native.RenameAt(directory, name, name[..end]);
            if (errno != 0)
            {
                throw new IOException($"Cannot rename {name} to {name[..end]} in {_directory}: {Native.Describe(errno)}.");
            }

            Native.Fsync(directory, _directory);
        }
    }

    private Held Hold()
    {
        Native.LockRange(_line, LockByte, 1, wait: true);
        return new Held(_line);
    }

    private Record Read()
    {
        Span<byte> bytes = stackalloc byte[RecordLength];
        if (Native.ReadAt(_line, bytes, RecordOffset) != RecordLength || BinaryPrimitives.ReadInt64LittleEndian(bytes) != Magic)
        {
            return new Record(string.Empty, 0, 0, 0, false, 0, 0, string.Empty);
        }

        var fields = bytes[(8 + BootLength)..];
        var nameLength = Math.Clamp(BinaryPrimitives.ReadInt32LittleEndian(fields[48..]), 0, NameLength);
        return new Record(
            Encoding.ASCII.GetString(bytes.Slice(8, BootLength).TrimEnd((byte)0)),
            BinaryPrimitives.ReadUInt64LittleEndian(fields),
            BinaryPrimitives.ReadUInt64LittleEndian(fields[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(fields[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(fields[24..]) == 1,
            BinaryPrimitives.ReadInt64LittleEndian(fields[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(fields[40..]),
            Encoding.ASCII.GetString(fields.Slice(52, nameLength)));
    }

    private void Write(Record record)
    {
        Debug.Assert(record.StagedName.Length <= NameLength, "temporary names are about 45 characters");
        Span<byte> bytes = stackalloc byte[RecordLength];
        bytes.Clear();
        BinaryPrimitives.WriteInt64LittleEndian(bytes, Magic);
        Encoding.ASCII.GetBytes(record.BootId, bytes.Slice(8, BootLength));
        var fields = bytes[(8 + BootLength)..];
        BinaryPrimitives.WriteUInt64LittleEndian(fields, record.Device);
        BinaryPrimitives.WriteUInt64LittleEndian(fields[8..], record.Inode);
        BinaryPrimitives.WriteInt64LittleEndian(fields[16..], record.Written);
        BinaryPrimitives.WriteInt64LittleEndian(fields[24..], record.Open ? 1 : 0);
        BinaryPrimitives.WriteInt64LittleEndian(fields[32..], record.Staged);
        BinaryPrimitives.WriteInt64LittleEndian(fields[40..], record.Published);
        BinaryPrimitives.WriteInt32LittleEndian(fields[48..], record.StagedName.Length);
        Encoding.ASCII.GetBytes(record.StagedName, fields.Slice(52, NameLength));
        Native.WriteAt(_line, bytes, RecordOffset);
    }

    private readonly record struct Record(string BootId, ulong Device, ulong Inode, long Written, bool Open, long Staged, long Published, string StagedName);

    private readonly struct Held(SafeFileHandle line) : IDisposable
    {
        public void Dispose() => Native.UnlockRange(line, LockByte, 1);
    }
}
