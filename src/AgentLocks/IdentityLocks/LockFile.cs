using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace AgentLocks;

/// <summary>
/// The files of one worker: <c>.runtime/agent.lock</c> and <c>.runtime/agent.lock.flock</c>. Reads never follow
/// a symlink; writes go through a fresh temp file, fsync, rename and fsync of the directory, so a crash leaves
/// either the old file or the new one. A damaged file is reported (<c>INVALID_LOCK</c>) and left untouched.
/// </summary>
internal sealed class LockFile
{
    public const string RuntimeDirectoryName = ".runtime";
    public const string LockFileName = "agent.lock";
    private const int MaxLength = 64 * 1024;

    public LockFile(string workerDirectory)
    {
        if (string.IsNullOrWhiteSpace(workerDirectory))
        {
            throw new AgentLocksException(ErrorCode.InvalidArgs, "A worker directory is required.");
        }

        WorkerDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workerDirectory));
        RuntimeDirectory = Path.Combine(WorkerDirectory, RuntimeDirectoryName);
        LockPath = Path.Combine(RuntimeDirectory, LockFileName);
        FlockPath = LockPath + ".flock";
    }

    public string WorkerDirectory { get; }

    public string RuntimeDirectory { get; }

    public string LockPath { get; }

    public string FlockPath { get; }

    /// <summary>Fails with <c>INVALID_ARGS</c> when the worker directory does not exist: a typo must not create a tree.</summary>
    public void RequireWorkerDirectory()
    {
        if (!Directory.Exists(WorkerDirectory))
        {
            throw new AgentLocksException(ErrorCode.InvalidArgs, $"The worker directory {WorkerDirectory} does not exist.");
        }
    }

    /// <summary>True when <c>.runtime</c> exists (creating it when asked); <c>INVALID_LOCK</c> when it is a symlink or a file.</summary>
    public bool EnsureRuntimeDirectory(bool create)
    {
        RequireWorkerDirectory();
        var info = new DirectoryInfo(RuntimeDirectory);
        if (info.LinkTarget is not null)
        {
            throw new AgentLocksException(ErrorCode.InvalidLock, $"{RuntimeDirectory} is a symbolic link; AgentLocks never follows one. Remove it by hand.");
        }

        if (info.Exists)
        {
            return true;
        }

        if (File.Exists(RuntimeDirectory))
        {
            throw new AgentLocksException(ErrorCode.InvalidLock, $"{RuntimeDirectory} is a file, not a directory; it was left as it is.");
        }

        if (!create)
        {
            return false;
        }

        Directory.CreateDirectory(RuntimeDirectory);
        return true;
    }

    /// <summary>Takes the exclusive flock that gastown takes too; creates <c>.runtime</c> when <paramref name="create"/>, else returns null when there is none.</summary>
    public async Task<FlockGuard?> LockAsync(bool create, CancellationToken cancellationToken)
        => EnsureRuntimeDirectory(create) ? await FlockGuard.AcquireAsync(FlockPath, cancellationToken).ConfigureAwait(false) : null;

    /// <summary>The lock file's contents, or null when there is none.</summary>
    public WorkerLockInfo? Read()
    {
        byte[] bytes;
        using (var handle = Native.OpenNoFollowForRead(LockPath, out var errno))
        {
            if (handle is null)
            {
                return errno switch
                {
                    Native.ENOENT => null,
                    Native.ELOOP => throw Invalid("is a symbolic link; AgentLocks never follows or overwrites one. Remove it by hand"),
                    _ => throw new IOException($"Cannot open {LockPath}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})."),
                };
            }

            try
            {
                var length = RandomAccess.GetLength(handle);
                if (length > MaxLength)
                {
                    throw Invalid($"is {length} bytes long, too long for a lock file");
                }

                bytes = new byte[length];
                var read = RandomAccess.Read(handle, bytes, 0);
                Array.Resize(ref bytes, read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                throw Invalid($"is not a readable regular file ({e.Message})");
            }
        }

        return Parse(bytes);
    }

    /// <summary>Validates the raw record: gastown's fields must be there and well-formed; ours are optional.</summary>
    internal WorkerLockInfo Parse(byte[] bytes)
    {
        LockFileRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(bytes, LockFileJsonContext.Default.LockFileRecord);
        }
        catch (JsonException e)
        {
            throw Invalid($"is not valid lock JSON ({e.Message})");
        }

        if (record is null)
        {
            throw Invalid("holds JSON null, not a lock");
        }

        if (record.Pid is not (> 0 and <= int.MaxValue))
        {
            throw Invalid(record.Pid is null ? "has no \"pid\"" : $"has an impossible pid {record.Pid}");
        }

        if (!UtcTimestampJsonConverter.TryParse(record.AcquiredAt, out var acquiredAt))
        {
            throw Invalid($"has no RFC 3339 \"acquired_at\" (found '{record.AcquiredAt}')");
        }

        SessionId? session = null;
        if (!string.IsNullOrEmpty(record.SessionId))
        {
            session = SessionId.TryParse(record.SessionId, out var parsed)
                ? parsed
                : throw Invalid($"has an invalid \"session_id\" '{record.SessionId}'");
        }

        return new WorkerLockInfo(
            (int)record.Pid,
            acquiredAt,
            session,
            string.IsNullOrEmpty(record.Hostname) ? null : record.Hostname,
            record.ProcessStartTime,
            string.IsNullOrEmpty(record.BootId) ? null : record.BootId,
            string.IsNullOrEmpty(record.OwnerToken) ? null : record.OwnerToken);
    }

    /// <summary>Replaces the lock file atomically and durably. The caller holds the flock.</summary>
    public void Write(WorkerLockInfo info)
    {
        var record = new LockFileRecord
        {
            Pid = info.Pid,
            AcquiredAt = UtcTimestampJsonConverter.Text(info.AcquiredAt),
            SessionId = info.Session?.Value,
            Hostname = info.HostName,
            ProcessStartTime = info.ProcessStartTime,
            BootId = info.BootId,
            OwnerToken = info.OwnerToken,
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(record, LockFileJsonContext.Default.LockFileRecord);

        // A fresh name created with O_EXCL: a file or symlink planted at a fixed temp name is never followed.
        var temp = $"{LockPath}.tmp.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                // 0644, as gastown writes it: other users' tools may read who holds a worker.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, LockPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        Native.FsyncDirectory(RuntimeDirectory);
    }

    /// <summary>Removes the lock file. The caller holds the flock. A symlink or directory in its place is refused, not removed.</summary>
    public void Delete()
    {
        if (new FileInfo(LockPath).LinkTarget is not null || Directory.Exists(LockPath))
        {
            throw Invalid("is a symbolic link or a directory; AgentLocks never removes one. Remove it by hand");
        }

        File.Delete(LockPath);
        Native.FsyncDirectory(RuntimeDirectory);
    }

    private AgentLocksException Invalid(string what)
        => new(ErrorCode.InvalidLock, $"The lock file {LockPath} {what}; it was left as it is (a force release removes it).");
}
