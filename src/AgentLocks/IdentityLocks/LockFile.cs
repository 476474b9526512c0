using System.Text.Json;

namespace AgentLocks;

/// <summary>
/// The files of one worker: <c>.runtime/agent.lock</c> and <c>.runtime/agent.lock.flock</c>, reached through
/// <see cref="OpenRuntime"/> (one handle on <c>.runtime</c>, never through a symlink). Validates what it reads: a
/// damaged file is reported (<c>INVALID_LOCK</c>) and left untouched.
/// </summary>
internal sealed class LockFile
{
    public const string RuntimeDirectoryName = ".runtime";
    public const string LockFileName = "agent.lock";
    private const string RemovableKey = "agentlocks.removable";

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

    /// <summary>
    /// Opens <c>.runtime</c> once, without following a symlink, creating it when asked; null when there is none and
    /// <paramref name="create"/> is false; <c>INVALID_LOCK</c> when it is a symlink or a file. Every later create,
    /// rename and unlink goes through this handle, so <c>.runtime</c> swapped for a symlink meanwhile changes nothing
    /// outside the worker.
    /// </summary>
    public RuntimeDirectory? OpenRuntime(bool create)
    {
        using var worker = Native.OpenDirectory(WorkerDirectory, out var errno)
            ?? throw (errno is Native.ENOENT or Native.ENOTDIR
                ? new AgentLocksException(ErrorCode.InvalidArgs, $"The worker directory {WorkerDirectory} does not exist.")
                : new IOException($"Cannot open {WorkerDirectory}: {Native.Describe(errno)}."));
        var created = false;
        while (true)
        {
            if (Native.OpenDirectoryAt(worker, RuntimeDirectoryName, out errno) is { } handle)
            {
                if (created)
                {
                    Native.Fsync(worker, WorkerDirectory);
                }

                return new RuntimeDirectory(this, handle);
            }

            switch (errno)
            {
                case Native.ELOOP:
                case Native.ENOTDIR when Native.IsSymlinkAt(worker, RuntimeDirectoryName):
                    throw new AgentLocksException(ErrorCode.InvalidLock, $"{RuntimeDirectory} is a symbolic link; AgentLocks never follows one. Remove it by hand.");
                case Native.ENOTDIR:
                    throw new AgentLocksException(ErrorCode.InvalidLock, $"{RuntimeDirectory} is not a directory; it was left as it is. Remove it by hand.");
                case Native.ENOENT when !create:
                    return null;
                case Native.ENOENT when !created:
                    var made = Native.MakeDirectoryAt(worker, RuntimeDirectoryName);
                    created = made is 0 or Native.EEXIST ? true : throw new IOException($"Cannot create {RuntimeDirectory}: {Native.Describe(made)}.");
                    break;
                default:
                    throw new IOException($"Cannot open {RuntimeDirectory}: {Native.Describe(errno)}.");
            }
        }
    }

    /// <summary>Takes the exclusive flock that gastown takes too; creates <c>.runtime</c> when <paramref name="create"/>, else returns null when there is none.</summary>
    public async Task<FlockGuard?> LockAsync(bool create, CancellationToken cancellationToken)
    {
        if (OpenRuntime(create) is not { } runtime)
        {
            return null;
        }

        try
        {
            return await FlockGuard.AcquireAsync(runtime, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            runtime.Dispose();
            throw;
        }
    }

    /// <summary>The lock file's contents, or null when there is none (nor a <c>.runtime</c>).</summary>
    public WorkerLockInfo? Read()
    {
        using var runtime = OpenRuntime(create: false);
        return runtime?.Read();
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

    /// <summary>The record of <paramref name="info"/> as gastown reads it.</summary>
    internal static byte[] Serialize(WorkerLockInfo info)
        => JsonSerializer.SerializeToUtf8Bytes(
            new LockFileRecord
            {
                Pid = info.Pid,
                AcquiredAt = UtcTimestampJsonConverter.Text(info.AcquiredAt),
                SessionId = info.Session?.Value,
                Hostname = info.HostName,
                ProcessStartTime = info.ProcessStartTime,
                BootId = info.BootId,
                OwnerToken = info.OwnerToken,
            },
            LockFileJsonContext.Default.LockFileRecord);

    /// <summary>True for a damaged lock file that a force release removes: a regular file, not a symlink, directory or FIFO.</summary>
    internal static bool IsRemovable(AgentLocksException e) => e.Data.Contains(RemovableKey);

    /// <summary>A damaged lock file; <paramref name="removable"/> when a force release removes it (see <see cref="IsRemovable"/>).</summary>
    internal AgentLocksException Invalid(string what, bool removable = true)
    {
        var e = new AgentLocksException(ErrorCode.InvalidLock, $"The lock file {LockPath} {what}; it was left as it is ({(removable ? "a force release removes it" : "remove it by hand")}).");
        if (removable)
        {
            e.Data[RemovableKey] = true;
        }

        return e;
    }
}
