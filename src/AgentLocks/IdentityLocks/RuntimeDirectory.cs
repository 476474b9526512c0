using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// An open handle on one worker's <c>.runtime</c>, opened without following a symlink. Every open, create, rename and
/// unlink is relative to it (<c>openat</c>, <c>renameat</c>, <c>unlinkat</c>), never to a path, so another process
/// swapping <c>.runtime</c> for a symlink meanwhile cannot make us read or write anywhere else. Writes go through
/// <see cref="DurableFile.WriteAtomicAt"/>, so a crash leaves either the old file or the new one.
/// </summary>
internal sealed class RuntimeDirectory(LockFile file, SafeFileHandle handle) : IDisposable
{
    private const int MaxLength = 64 * 1024;
    private const string FlockName = LockFile.LockFileName + ".flock";

    /// <summary>Opens (creating) <c>agent.lock.flock</c>; <c>INVALID_LOCK</c> when a symlink or a directory is in its place.</summary>
    public SafeFileHandle OpenFlockFile()
        => Native.OpenLockFileAt(handle, FlockName, out var errno) ?? throw (errno is Native.ELOOP or Native.EISDIR
            ? new AgentLocksException(ErrorCode.InvalidLock, $"{file.FlockPath} is {(errno == Native.ELOOP ? "a symbolic link" : "a directory")}, not the file gastown flocks; it was left as it is. Remove it by hand.")
            : new IOException($"Cannot open {file.FlockPath}: {Native.Describe(errno)}."));

    /// <summary>The lock file's contents, or null when there is none.</summary>
    public WorkerLockInfo? Read()
    {
        byte[] bytes;
        using (var lockFile = Native.OpenForReadAt(handle, LockFile.LockFileName, out var errno))
        {
            if (lockFile is null)
            {
                return errno switch
                {
                    Native.ENOENT => null,
                    Native.ELOOP => throw file.Invalid("is a symbolic link; AgentLocks never follows or overwrites one", removable: false),
                    _ => throw new IOException($"Cannot open {file.LockPath}: {Native.Describe(errno)}."),
                };
            }

            try
            {
                var length = RandomAccess.GetLength(lockFile);
                if (length > MaxLength)
                {
                    throw file.Invalid($"is {length} bytes long, too long for a lock file");
                }

                bytes = new byte[length];
                var read = RandomAccess.Read(lockFile, bytes, 0);
                Array.Resize(ref bytes, read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                throw file.Invalid($"is not a readable regular file ({e.Message})", removable: false);
            }
        }

        return file.Parse(bytes);
    }

    /// <summary>Replaces the lock file atomically and durably (<see cref="DurableFile.WriteAtomicAt"/>). The caller holds the flock.</summary>
    public void Write(WorkerLockInfo info) => DurableFile.WriteAtomicAt(handle, file.RuntimeDirectory, LockFile.LockFileName, LockFile.Serialize(info));

    /// <summary>Removes the lock file. The caller holds the flock. A symlink or directory in its place is refused, not removed.</summary>
    public void Delete()
    {
        if (Native.IsSymlinkAt(handle, LockFile.LockFileName))
        {
            throw file.Invalid("is a symbolic link; AgentLocks never removes one", removable: false);
        }

        var errno = Native.UnlinkAt(handle, LockFile.LockFileName);
        if (errno == Native.EISDIR)
        {
            throw file.Invalid("is a directory; AgentLocks never removes one", removable: false);
        }

        if (errno != Native.ENOENT)
        {
            Check(errno, "remove");
        }

        Native.Fsync(handle, file.RuntimeDirectory);
    }

    /// <summary>Renames the lock file (whatever it is: file, directory, symlink) to <c>agent.lock.damaged-&lt;UTC time&gt;[-N]</c> beside it; returns the new path.</summary>
    public string MoveAside(DateTimeOffset now)
    {
        var stamp = LockFile.LockFileName + ".damaged-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var target = stamp;
        for (var n = 2; Exists(target); n++)
        {
            target = stamp + "-" + n.ToString(CultureInfo.InvariantCulture);
        }

        Check(Native.RenameAt(handle, LockFile.LockFileName, target), "move aside");
        Native.Fsync(handle, file.RuntimeDirectory);
        return Path.Combine(file.RuntimeDirectory, target);
    }

    /// <summary>Closes the handle on <c>.runtime</c>.</summary>
    public void Dispose() => handle.Dispose();

    private bool Exists(string name)
    {
        using var found = Native.OpenForReadAt(handle, name, out var errno);
        return found is not null || errno != Native.ENOENT;
    }

    private void Check(int errno, string what)
    {
        if (errno != 0)
        {
            throw new IOException($"Cannot {what} {file.LockPath}: {Native.Describe(errno)}.");
        }
    }
}
