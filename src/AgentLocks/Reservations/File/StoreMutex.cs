using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentLocks;

/// <summary>
/// beadboard's <c>reservations/.lock</c> mutex: whoever creates the file exclusively holds the store; its PID is
/// inside. We also write our start time in clock ticks since boot and the boot id (second and third lines;
/// beadboard reads only the PID, if anything) and hold an OS file lock on it while we hold the mutex, so a live
/// AgentLocks holder is recognised even when its PID is reused. Whether the writer still runs is judged by the
/// identity locks' rule (<see cref="ProcessIdentity"/>). A file left by a dead process (or a reused PID, or from
/// before a reboot) is removed at once, not after a timeout.
/// Stale files are judged and removed under a second OS lock (<c>.lock.guard</c>), so two waiters can never
/// remove each other's fresh lock.
/// </summary>
internal sealed class StoreMutex : IDisposable
{
    /// <summary>A lock file without a readable PID may be mid-write by beadboard; after this it counts as abandoned.</summary>
    private static readonly TimeSpan UnreadableGrace = TimeSpan.FromSeconds(2);

    /// <summary>The longest sleep between looks at a mutex held by a process that keeps no OS lock on it (beadboard).</summary>
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(20);

    /// <summary>This process's start time, written beside its PID.</summary>
    private static readonly long? OwnStartTime = LinuxProcessProbe.Instance.StartTime(Environment.ProcessId);

    private readonly string _path;
    private readonly FileStream _stream;

    private StoreMutex(string path, FileStream stream)
    {
        _path = path;
        _stream = stream;
    }

    /// <summary>
    /// Takes the mutex, removing an abandoned lock file at once (and telling <paramref name="removedStale"/> its path and
    /// whose it was); fails with <c>LOCKED</c> after <paramref name="timeout"/> while a live process holds it.
    /// </summary>
    public static async Task<StoreMutex> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken, Action<string, string>? removedStale = null)
    {
        var started = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryCreate(path) is { } stream)
            {
                return new StoreMutex(path, stream);
            }

            var inspection = await InspectAsync(path, removeStale: true, cancellationToken).ConfigureAwait(false);
            if (inspection.Verdict == LockVerdict.RemovedStale)
            {
                removedStale?.Invoke(path, inspection.Holder);
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new AgentLocksException(ErrorCode.Locked,
                    $"The store mutex {path} is held by {inspection.Holder}; gave up after {timeout.TotalSeconds:0.###} s. Try again later.");
            }

            if (inspection.Verdict == LockVerdict.Held && !await WaitForReleaseAsync(path, cancellationToken).ConfigureAwait(false))
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>
    /// An AgentLocks holder keeps an OS lock on the file while it holds the mutex: poll that lock (a cheap system
    /// call, each millisecond) rather than sleep, so the mutex passes on within about a millisecond of its release
    /// instead of after a backoff. True when the lock was seen held and then free, the file is gone, or a backoff's
    /// worth of time has passed (then the caller looks again); false when nobody holds an OS lock on the file, as
    /// when beadboard holds the mutex, and the caller backs off.
    /// </summary>
    private static async Task<bool> WaitForReleaseAsync(string path, CancellationToken cancellationToken)
    {
        using var handle = Native.OpenNoFollowForRead(path, out _);
        if (handle is null)
        {
            return true;
        }

        var started = Stopwatch.GetTimestamp();
        var polls = 0;
        while (!Native.TryLockExclusive(handle))
        {
            if (++polls > 1 && Stopwatch.GetElapsedTime(started) > MaxBackoff)
            {
                return true;
            }

            // flock has no timed or async wait; a 1 ms poll keeps hand-over latency near the holder's own work.
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }

        return polls > 0;
    }

    /// <summary>
    /// Judges the lock file at <paramref name="path"/> under the guard: absent, held by a live process, or abandoned
    /// (removed when <paramref name="removeStale"/>). <c>doctor</c> uses this too.
    /// </summary>
    public static async Task<LockInspection> InspectAsync(string path, bool removeStale, CancellationToken cancellationToken)
    {
        RejectNonRegular(path);
        using var guard = await HoldGuardAsync(path + ".guard", cancellationToken).ConfigureAwait(false);
        string content;
        try
        {
            // Exclusive open: refused while a live AgentLocks holder keeps its OS lock on the file.
            using var held = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            var buffer = new byte[1024];
            content = Encoding.UTF8.GetString(buffer, 0, held.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false));
        }
        catch (FileNotFoundException)
        {
            return new LockInspection(LockVerdict.Absent, "nobody");
        }
        catch (IOException)
        {
            return File.Exists(path)
                ? new LockInspection(LockVerdict.Held, "a live AgentLocks process")
                : new LockInspection(LockVerdict.Absent, "nobody");
        }

        var owner = ParseOwner(content);
        var holder = owner is null ? "an unreadable lock file" : $"process {owner.Value.Pid}";
        var alive = owner is null
            ? DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < UnreadableGrace
            : LinuxProcessProbe.Instance.Check(owner.Value.Pid, owner.Value.StartTime, owner.Value.BootId, out _) == ProcessVerdict.Running;
        if (alive)
        {
            return new LockInspection(LockVerdict.Held, holder);
        }

        if (!removeStale)
        {
            return new LockInspection(LockVerdict.Stale, holder);
        }

        File.Delete(path);
        return new LockInspection(LockVerdict.RemovedStale, holder);
    }

    /// <summary>Releases the mutex: the file goes first, then our OS lock on it.</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(_path);
        }
        finally
        {
            _stream.Dispose();
        }
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

    /// <summary>The guard serialises judging and removing stale lock files; the OS drops it if its holder dies.</summary>
    private static async Task<FileStream> HoldGuardAsync(string guardPath, CancellationToken cancellationToken)
    {
        RejectNonRegular(guardPath);
        while (true)
        {
            try
            {
                return new FileStream(guardPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(guardPath))
            {
                // Another process holds the guard only while it judges a stale file: a moment; try again shortly.
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A symbolic link or directory in place of the lock is never followed or removed.</summary>
    private static void RejectNonRegular(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || Directory.Exists(path))
        {
            throw new AgentLocksException(ErrorCode.InvalidLock,
                $"{path} is not a regular file (a symbolic link or directory); nothing was changed. Remove it by hand if it is not needed.");
        }
    }

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
internal sealed record LockInspection(LockVerdict Verdict, string Holder);
