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

    private readonly string _path;
    private readonly FileStream _stream;
    private readonly SafeFileHandle _queue;
    private readonly QueueTicket _ticket;
    private readonly long _acquired = Stopwatch.GetTimestamp();

    private StoreMutex(string path, FileStream stream, SafeFileHandle queue, QueueTicket ticket)
    {
        _path = path;
        _stream = stream;
        _queue = queue;
        _ticket = ticket;
    }

    /// <summary>Test seam: runs after a lock file was judged stale and before it is removed, to widen that window.</summary>
    internal static Func<Task>? BeforeStaleRemoval { get; set; }

    /// <summary>
    /// Takes the mutex, removing an abandoned lock file at once (and telling <paramref name="removedStale"/> its path and
    /// whose it was); fails with <c>LOCKED</c> after <paramref name="timeout"/> while a live process holds it.
    /// </summary>
    public static async Task<StoreMutex> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken, Action<string, string>? removedStale = null)
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

        try
        {
            var delay = TimeSpan.FromMilliseconds(1);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (TryCreate(path) is { } stream)
                {
                    return new StoreMutex(path, stream, queue, ticket);
                }

                var inspection = await JudgeAsync(path, removeStale: true).ConfigureAwait(false);
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
        var first = await JudgeAsync(path, removeStale: false).ConfigureAwait(false);
        if (first.Verdict != LockVerdict.Stale || !removeStale)
        {
            return first;
        }

        using var queue = await EnterQueueAsync(path, InspectionQueueTimeout, cancellationToken).ConfigureAwait(false);
        return await JudgeAsync(path, removeStale: true).ConfigureAwait(false);
    }

    /// <summary>
    /// Releases the mutex: the file goes first, then our OS lock on it, the queue now or a moment later
    /// (<see cref="QueueRelease"/>), then our turn, which wakes the next in line.
    /// </summary>
    public void Dispose()
    {
        try
        {
            File.Delete(_path);
        }
        finally
        {
            _stream.Dispose();
            QueueRelease.After(_queue, Stopwatch.GetElapsedTime(_acquired));
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

    /// <summary>Judges the lock file; the caller is first in the queue, so no other AgentLocks process judges or removes it meanwhile.</summary>
    private static async Task<LockInspection> JudgeAsync(string path, bool removeStale)
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

        if (!Native.TryLockExclusive(handle))
        {
            // A live AgentLocks holder keeps its OS lock on the file.
            return new LockInspection(LockVerdict.Held, "a live AgentLocks process");
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

    private static FileStream? TryCreate(string path)
    {
        RejectNonRegular(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }
        catch (IOException)
        {
            return null; // it exists (or has just gone): the caller inspects it and tries again
        }

        try
        {
            stream.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n{OwnStartTime}\n{LinuxProcessProbe.Instance.BootId}\n")));
            stream.Flush();
            return stream;
        }
        catch
        {
            File.Delete(path);
            stream.Dispose();
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
