using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// beadboard's <c>reservations/.lock</c> mutex: whoever creates the file exclusively holds the store; its PID is
/// inside. We also write our start time in clock ticks since boot and the boot id (second and third lines;
/// beadboard reads only the PID, if anything) and hold an OS file lock on it while we hold the mutex, so a live
/// AgentLocks holder is recognised even when its PID is reused. Whether the writer still runs is judged by the
/// identity locks' rule (<see cref="ProcessIdentity"/>); a beadboard file whose PID belongs to a process started
/// after the file was written is stale too. A file left by a dead process is removed at once, not after a timeout,
/// and only if it is still the very file that was judged (same device and inode at the moment of removal).
/// <para>
/// AgentLocks processes queue for the mutex: each waits for its turn in arrival order (<see cref="QueueTicket"/>), then
/// takes a blocking OS lock on the reservations directory (with a deadline) before it races for <c>.lock</c>, so only
/// one of them at a time looks at <c>.lock</c> or judges it, nobody polls, and beadboard, which knows nothing of the
/// queue, still meets the same <c>.lock</c>. <see cref="QueueRelease"/> says how long the queue is kept after a
/// release so that beadboard gets its turn.
/// </para>
/// <para>
/// A holder whose commit is written but not yet synced lets the next AgentLocks process in at once and leaves
/// <c>.lock</c> in place until the last such commit is done (<see cref="HandOver"/>, <see cref="CommitPipeline"/>): the
/// next joins the pipeline that <c>.lock</c> belongs to instead of judging it.
/// </para>
/// </summary>
internal sealed class StoreMutex : IDisposable
{
    /// <summary>A lock file without a readable PID may be mid-write by beadboard; after this it counts as abandoned.</summary>
    private static readonly TimeSpan UnreadableGrace = TimeSpan.FromSeconds(2);

    /// <summary>The longest sleep between looks at a mutex held by beadboard (it holds it a few milliseconds).</summary>
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(5);

    /// <summary>How much later than its lock file a process may appear to have started (boot time is known to the second).</summary>
    private static readonly TimeSpan StartTimeSlack = TimeSpan.FromSeconds(2);

    /// <summary>How long <see cref="InspectAsync"/> waits in the queue before it removes a stale file.</summary>
    private static readonly TimeSpan InspectionQueueTimeout = TimeSpan.FromSeconds(10);

    /// <summary>This process's start time, written beside its PID.</summary>
    private static readonly long? OwnStartTime = LinuxProcessProbe.Instance.StartTime(Environment.ProcessId);

    /// <summary>When the machine booted (<c>btime</c> of <c>/proc/stat</c>), to turn a start time in ticks into an instant.</summary>
    private static readonly DateTimeOffset? BootTime = ReadBootTime();

    /// <summary>How long a holder that keeps the queue for beadboard waits for the commits before it to be done.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly string _path;
    private readonly SafeFileHandle _queue;
    private readonly QueueTicket _ticket;

    /// <summary>Our part in the commit pipeline (it holds our flock on <c>.lock</c>); null when its line file cannot be used.</summary>
    private readonly CommitPipeline? _pipeline;

    /// <summary><c>.lock</c> with our flock, when there is no pipeline.</summary>
    private readonly SafeFileHandle? _lockFile;

    private readonly long _acquired = Stopwatch.GetTimestamp();
    private (TimeSpan Keep, bool InWindow)? _release;
    private bool _handedOver;

    private StoreMutex(string path, SafeFileHandle queue, QueueTicket ticket, CommitPipeline? pipeline, SafeFileHandle? lockFile, SafeFileHandle? staged)
    {
        _path = path;
        _queue = queue;
        _ticket = ticket;
        _pipeline = pipeline;
        _lockFile = lockFile;
        Staged = staged;
    }

    /// <summary>The newest version of active.json, open, when this holder joined a pipeline whose newest commit is not yet in place; null: read active.json.</summary>
    public SafeFileHandle? Staged { get; }

    /// <summary>Test seam: runs after a lock file was judged stale and before it is removed, to widen that window.</summary>
    internal static Func<Task>? BeforeStaleRemoval { get; set; }

    /// <summary>
    /// Takes the mutex, removing an abandoned lock file at once (and telling <paramref name="removedStale"/> its path and
    /// whose it was); fails with <c>LOCKED</c> after <paramref name="timeout"/> while a live process holds it. Joins a
    /// commit pipeline that holds it unless <paramref name="join"/> is false (a caller that reads the store's files
    /// directly, such as a repair): then it waits for the pipeline to be done.
    /// </summary>
    public static async Task<StoreMutex> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken, Action<string, string>? removedStale = null, bool join = true)
    {
        var started = Stopwatch.GetTimestamp();
        var ticket = await QueueTicket.TakeAsync(path + ".queue", timeout, cancellationToken).ConfigureAwait(false)
            ?? throw Locked(path, "other AgentLocks processes (the line did not move)", timeout);
        SafeFileHandle queue;
        try
        {
            queue = await EnterQueueAsync(path, BlockingLock.Left(started, timeout), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ticket.Dispose();
            throw;
        }

        CommitPipeline? pipeline = null;
        try
        {
            pipeline = CommitPipeline.Open(path);
            var delay = TimeSpan.FromMilliseconds(1);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (TryCreate(queue, path) is { } file)
                {
                    pipeline?.Created(file);
                    return new StoreMutex(path, queue, ticket, pipeline, pipeline is null ? file : null, staged: null);
                }

                if (join && pipeline is not null && pipeline.TryJoin(out var staged))
                {
                    return new StoreMutex(path, queue, ticket, pipeline, lockFile: null, staged);
                }

                var inspection = await JudgeAsync(path, removeStale: true, pipeline).ConfigureAwait(false);
                if (inspection.Foreign)
                {
                    QueueRelease.BeadboardSeen();
                }

                if (inspection.Verdict == LockVerdict.RemovedStale)
                {
                    removedStale?.Invoke(path, inspection.Holder);
                }

                if (Stopwatch.GetElapsedTime(started) > timeout)
                {
                    throw Locked(path, inspection.Holder, timeout);
                }

                if (inspection.Verdict == LockVerdict.Held)
                {
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
                }
            }
        }
        catch
        {
            pipeline?.Dispose();
            queue.Dispose();
            ticket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Judges the lock file at <paramref name="path"/>: absent, held by a live process, or abandoned (then removed
    /// when <paramref name="removeStale"/>, after taking a place in the queue and judging again). <c>doctor</c> uses this.
    /// </summary>
    public static async Task<LockInspection> InspectAsync(string path, bool removeStale, CancellationToken cancellationToken)
    {
        using var pipeline = CommitPipeline.Open(path, create: false);
        var first = await JudgeAsync(path, removeStale: false, pipeline).ConfigureAwait(false);
        if (first.Verdict != LockVerdict.Stale || !removeStale)
        {
            return first;
        }

        using var queue = await EnterQueueAsync(path, InspectionQueueTimeout, cancellationToken).ConfigureAwait(false);
        return await JudgeAsync(path, removeStale: true, pipeline).ConfigureAwait(false);
    }

    /// <summary>
    /// Called by a commit whose new version is written (not yet synced or renamed) before the mutex is let go: hands
    /// it on, so the next holder may decide on it at once while it syncs and renames after
    /// (<see cref="UnsyncedCommit.Settle"/>); or, when beadboard is to have its turn next (or there is no pipeline),
    /// settles it here, and <see cref="Dispose"/> then waits for the commits before it and removes <c>.lock</c>.
    /// </summary>
    public void HandOver(UnsyncedCommit commit)
    {
        _release = QueueRelease.Plan(Stopwatch.GetElapsedTime(_acquired));
        if (_pipeline is not null && _release.Value.Keep == TimeSpan.Zero)
        {
            commit.HandedOver(_pipeline, _pipeline.Stage(commit.TemporaryName));
            _handedOver = true;
        }
        else
        {
            commit.Settle(_pipeline);
        }
    }

    /// <summary>
    /// Releases the mutex: the file goes first unless a commit handed over (<see cref="HandOver"/>) or another part
    /// of the pipeline is still in it, then our OS lock on it, the queue now or a moment later
    /// (<see cref="QueueRelease"/>), then our turn, which wakes the next in line.
    /// </summary>
    public void Dispose()
    {
        var release = _release ?? QueueRelease.Plan(Stopwatch.GetElapsedTime(_acquired));
        try
        {
            Staged?.Dispose();
            if (_handedOver)
            {
                return; // the commit holds our part in the pipeline
            }

            if (_pipeline is null)
            {
                File.Delete(_path);
                _lockFile!.Dispose();
            }
            else if (release.Keep > TimeSpan.Zero)
            {
                _pipeline.Drain(DrainTimeout); // beadboard's turn: .lock must go
            }
            else
            {
                _pipeline.Leave(holdingQueue: true);
            }
        }
        finally
        {
            if (!_handedOver)
            {
                _pipeline?.Dispose();
            }

            QueueRelease.After(_queue, release);
            _ticket.Dispose();
        }
    }

    private static AgentLocksException Locked(string path, string holder, TimeSpan timeout)
        => new(ErrorCode.Locked, $"The store mutex {path} is held by {holder}; gave up after {timeout.TotalSeconds:0.###} s. Try again later.");

    /// <summary>
    /// Enters the queue: a blocking <c>flock</c> on the reservations directory itself (beadboard takes no OS lock, so
    /// only AgentLocks processes queue), which the kernel hands to one waiter at a time.
    /// </summary>
    private static async Task<SafeFileHandle> EnterQueueAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        var handle = Native.OpenDirectoryNoFollow(directory, out var errno)
            ?? throw new AgentLocksException(ErrorCode.StoreCorrupt, $"{directory} must be a directory (not a symbolic link or file); it cannot be opened (errno {errno}). Nothing was changed.");
        await QueueRelease.Idle.ConfigureAwait(false);
        if (Native.TryLockExclusive(handle))
        {
            return handle;
        }

        if (await BlockingLock.TakeAsync(handle, Native.LockExclusive, timeout, cancellationToken).ConfigureAwait(false))
        {
            return handle;
        }

        throw Locked(path, "other AgentLocks processes (the queue did not move)", timeout);
    }

    /// <summary>
    /// Judges the lock file; when <paramref name="removeStale"/> the caller is first in the queue, so no other AgentLocks
    /// process judges, removes or joins it meanwhile. A pipeline's <c>.lock</c> that nobody is in any more (the last
    /// commit left while the queue was held) is stale whoever wrote it.
    /// </summary>
    private static async Task<LockInspection> JudgeAsync(string path, bool removeStale, CommitPipeline? pipeline)
    {
        RejectNonRegular(path);
        using var handle = Native.OpenNoFollow(path, write: false, create: false, out var errno);
        if (handle is null)
        {
            return errno == Native.ENOENT ? new LockInspection(LockVerdict.Absent, "nobody") : throw NotRegular(path);
        }

        var judged = Native.Stat(handle);
        if (!judged.IsRegular)
        {
            throw NotRegular(path);
        }

        var (held, claimed) = pipeline is null ? (!Native.TryLockExclusive(handle), false) : pipeline.Look(handle);
        if (held)
        {
            // A live AgentLocks holder keeps its OS lock on the file.
            return new LockInspection(LockVerdict.Held, "a live AgentLocks process");
        }

        if (claimed)
        {
            const string Finished = "a commit pipeline of AgentLocks processes";
            if (!removeStale)
            {
                return new LockInspection(LockVerdict.Stale, Finished);
            }

            pipeline!.Remove(judged);
            return new LockInspection(LockVerdict.RemovedStale, Finished);
        }

        var buffer = new byte[1024];
        var content = Encoding.UTF8.GetString(buffer, 0, RandomAccess.Read(handle, buffer, 0));
        var owner = ParseOwner(content);
        var holder = owner is null ? "an unreadable lock file" : $"process {owner.Value.Pid}";
        if (owner is null ? DateTimeOffset.UtcNow - judged.Modified < UnreadableGrace : IsAlive(owner.Value, judged.Modified))
        {
            return new LockInspection(LockVerdict.Held, holder) { Foreign = owner is { StartTime: null } };
        }

        if (!removeStale)
        {
            return new LockInspection(LockVerdict.Stale, holder);
        }

        if (BeforeStaleRemoval is { } pause)
        {
            await pause().ConfigureAwait(false);
        }

        // Only the very file judged is removed: its holder may have removed it and another taken the mutex since.
        if (Native.StatNoFollow(path) is not { } now || !now.SameFile(judged))
        {
            return new LockInspection(LockVerdict.Absent, "nobody (the file judged is gone)");
        }

        File.Delete(path);
        return new LockInspection(LockVerdict.RemovedStale, holder);
    }

    /// <summary>
    /// Whether the process that wrote a file at <paramref name="written"/> still runs. Our mutex files carry the
    /// writer's start time, so a reused PID is told apart exactly. beadboard's carry only the PID (and a temporary
    /// file's name only that): a process that started after the file was written cannot have written it.
    /// </summary>
    internal static bool IsAlive((int Pid, long? StartTime, string? BootId) owner, DateTimeOffset written)
    {
        if (LinuxProcessProbe.Instance.Check(owner.Pid, owner.StartTime, owner.BootId, out _) != ProcessVerdict.Running)
        {
            return false;
        }

        return owner.StartTime is not null
            || BootTime is not { } boot
            || LinuxProcessProbe.Instance.StartTime(owner.Pid) is not { } ticks
            || boot.AddSeconds(ticks / 100.0) <= written + StartTimeSlack;
    }

    /// <summary>Creates <c>.lock</c> in the reservations directory (<paramref name="directory"/>, open) with our shared flock on it; null when anything is there.</summary>
    private static SafeFileHandle? TryCreate(SafeFileHandle directory, string path)
    {
        RejectNonRegular(path);
        var name = Path.GetFileName(path);
        if (Native.CreateNewAt(directory, name, out _) is not { } file)
        {
            return null; // it exists (or has just gone): the caller inspects it and tries again
        }

        try
        {
            Native.WriteAll(file, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n{OwnStartTime}\n{LinuxProcessProbe.Instance.BootId}\n")));
            Native.LockShared(file); // waits only for a look at it by doctor, which lets go at once
            return file;
        }
        catch
        {
            _ = Native.UnlinkAt(directory, name);
            file.Dispose();
            throw;
        }
    }

    /// <summary>A symbolic link, directory or other non-regular file in place of the lock is never followed or removed.</summary>
    private static void RejectNonRegular(string path)
    {
        if (Native.StatNoFollow(path) is { IsRegular: false })
        {
            throw NotRegular(path);
        }
    }

    private static AgentLocksException NotRegular(string path)
        => new(ErrorCode.InvalidLock,
            $"{path} is not a regular file (a symbolic link, directory or FIFO); nothing was changed. Remove it by hand if it is not needed.");

    /// <summary>The PID on the first line (or a JSON <c>pid</c>); our start time and boot id on the next two when present.</summary>
    private static (int Pid, long? StartTime, string? BootId)? ParseOwner(string content)
    {
        var lines = content.Split('\n', StringSplitOptions.TrimEntries);
        if (int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            long? started = lines.Length > 1 && long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
            var boot = lines.Length > 2 && lines[2].Length > 0 ? lines[2] : null;
            return (pid, started, boot);
        }

        try
        {
            using var json = JsonDocument.Parse(content);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("pid", out var value)
                && value.TryGetInt32(out pid)
                ? (pid, null, null)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static DateTimeOffset? ReadBootTime()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("btime ", StringComparison.Ordinal));
            return line is not null && long.TryParse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>What a look at a store mutex found.</summary>
internal enum LockVerdict
{
    /// <summary>No lock file.</summary>
    Absent,

    /// <summary>A live process holds it.</summary>
    Held,

    /// <summary>Its holder is gone (dead PID, reused PID, or unreadable for too long).</summary>
    Stale,

    /// <summary>It was stale and has been removed.</summary>
    RemovedStale,
}

/// <summary>A verdict and who the holder was.</summary>
internal sealed record LockInspection(LockVerdict Verdict, string Holder)
{
    /// <summary>A live holder whose file is not ours (no start time beside the PID): beadboard.</summary>
    public bool Foreign { get; init; }
}
