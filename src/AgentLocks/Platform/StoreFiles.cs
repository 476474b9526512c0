using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>What <c>statx(2)</c> says about one file: which file it is, its type and when it was last written.</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, int Mode, long Length, DateTimeOffset Modified)
{
    public bool IsRegular => (Mode & 0xF000) == 0x8000;

    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    /// <summary>True when <paramref name="other"/> is the very same file (device and inode), not one now at the same path.</summary>
    public bool SameFile(FileIdentity other) => Device == other.Device && Inode == other.Inode;

    public string Kind => (Mode & 0xF000) switch
    {
        0x8000 => "a regular file",
        0x4000 => "a directory",
        0xA000 => "a symbolic link",
        0x1000 => "a FIFO",
        0xC000 => "a socket",
        0x2000 or 0x6000 => "a device",
        _ => "an unknown kind of file",
    };
}

/// <summary>
/// The store's files are opened only as what they must be: never through a symbolic link, never blocking (a FIFO
/// planted at a store path must not hang the reader), and a path holding anything but a regular file (or, for the
/// reservations directory, a directory) is <c>STORE_CORRUPT</c> and left as it is.
/// </summary>
internal static class StoreFiles
{
    /// <summary>The whole file, or null when nothing is at <paramref name="path"/>.</summary>
    /// <exception cref="AgentLocksException"><c>STORE_CORRUPT</c> when it is not a regular file.</exception>
    public static byte[]? ReadIfExists(string path)
    {
        using var handle = OpenRegular(path, out var identity);
        if (handle is null)
        {
            return null;
        }

        var buffer = new byte[identity.Length];
        var read = ReadFromStart(handle, buffer);
        return read == buffer.Length ? buffer : buffer[..read];
    }

    /// <summary>Fills <paramref name="buffer"/> from the start of <paramref name="handle"/>'s file, or as much as there is; how many bytes were read.</summary>
    public static int ReadFromStart(SafeFileHandle handle, Span<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length && Native.ReadAt(handle, buffer[read..], read) is > 0 and var n)
        {
            read += n;
        }

        return read;
    }

    /// <summary>Opens a regular file for reading (and writing with <paramref name="write"/>); null when absent.</summary>
    public static SafeFileHandle? OpenRegular(string path, bool write = false) => OpenRegular(path, out _, write);

    /// <summary>Opens a regular file for reading (and writing with <paramref name="write"/>) and says what it is; null when absent.</summary>
    public static SafeFileHandle? OpenRegular(string path, out FileIdentity identity, bool write = false)
    {
        var handle = Native.OpenNoFollow(path, write, create: false, out var errno);
        if (handle is null)
        {
            identity = default;
            return errno == Native.ENOENT ? null : throw NotRegular(path, errno == Native.ELOOP ? "a symbolic link" : $"cannot be opened (errno {errno})");
        }

        identity = RequireRegular(handle, path);
        return handle;
    }

    /// <summary>Opens a regular file for writing, creating it when absent.</summary>
    public static SafeFileHandle OpenOrCreateRegular(string path)
    {
        var handle = Native.OpenNoFollow(path, write: true, create: true, out var errno)
            ?? throw NotRegular(path, errno == Native.ELOOP ? "a symbolic link" : $"cannot be opened (errno {errno})");
        RequireRegular(handle, path);
        return handle;
    }

    /// <summary>Creates the directory when absent; anything else at its path (a file, a symbolic link) is <c>STORE_CORRUPT</c>.</summary>
    public static void RequireDirectory(string path)
    {
        var found = Native.StatNoFollow(path);
        if (found is null)
        {
            Directory.CreateDirectory(path);
        }
        else if (!found.Value.IsDirectory)
        {
            throw new AgentLocksException(ErrorCode.StoreCorrupt,
                $"{path} must be a directory but is {found.Value.Kind}; nothing was changed. Move it aside by hand.");
        }
    }

    /// <summary>Absent or a regular file; anything else is <c>STORE_CORRUPT</c>.</summary>
    public static void RequireRegularOrAbsent(string path)
    {
        if (Native.StatNoFollow(path) is { IsRegular: false } found)
        {
            throw NotRegular(path, found.Kind);
        }
    }

    private static FileIdentity RequireRegular(SafeFileHandle handle, string path)
    {
        var identity = Native.Stat(handle);
        if (!identity.IsRegular)
        {
            handle.Dispose();
            throw NotRegular(path, identity.Kind);
        }

        return identity;
    }

    private static AgentLocksException NotRegular(string path, string what)
        => new(ErrorCode.StoreCorrupt,
            $"{path} is not a regular file ({what}); nothing was changed. AgentLocks never follows or opens such a file: move it aside by hand.");
}

/// <summary><c>statx(2)</c> and non-following, non-blocking opens for the reservation store.</summary>
internal static partial class Native
{
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_BASIC_STATS = 0x7ff;

    /// <summary>Opens without following a symlink and without blocking (a FIFO); null with the errno when it fails.</summary>
    public static SafeFileHandle? OpenNoFollow(string path, bool write, bool create, out int errno)
    {
        var flags = (write ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (create ? O_CREAT : 0);
        var fd = Open(path, flags, 0x1A4 /* 0644 */);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Opens a directory (never through a symbolic link) to flock it; null with the errno when it fails.</summary>
    public static SafeFileHandle? OpenDirectoryNoFollow(string path, out int errno)
    {
        var fd = Open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>What is at <paramref name="path"/> itself (a symbolic link is not followed); null when nothing is.</summary>
    public static FileIdentity? StatNoFollow(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (StatxPath(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, ref MemoryMarshal.GetReference(buffer)) == 0)
        {
            return Identity(buffer);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is ENOENT or 20 /* ENOTDIR */ ? null : throw new IOException($"statx of {path} failed (errno {errno}).");
    }

    /// <summary>What the open file is.</summary>
    public static FileIdentity Stat(SafeFileHandle handle)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (StatxHandle(handle, string.Empty, AT_EMPTY_PATH, STATX_BASIC_STATS, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"statx failed (errno {errno}).");
        }

        return Identity(buffer);
    }

    // struct statx: mode u16 at 28, ino u64 at 32, size u64 at 40, mtime {i64 sec, u32 nsec} at 112, dev major/minor u32 at 136/140.
    private static FileIdentity Identity(ReadOnlySpan<byte> b)
    {
        var mtime = DateTimeOffset.FromUnixTimeSeconds(MemoryMarshal.Read<long>(b[112..])).AddTicks(MemoryMarshal.Read<uint>(b[120..]) / 100);
        var device = ((ulong)MemoryMarshal.Read<uint>(b[136..]) << 32) | MemoryMarshal.Read<uint>(b[140..]);
        return new FileIdentity(device, MemoryMarshal.Read<ulong>(b[32..]), MemoryMarshal.Read<ushort>(b[28..]), (long)MemoryMarshal.Read<ulong>(b[40..]), mtime);
    }

    /// <summary>
    /// <c>fdatasync(2)</c>: the file's data and what is needed to read it back (its size), without its timestamps.
    /// Enough for an append, whose only metadata that matters is the size.
    /// </summary>
    public static void Fdatasync(SafeFileHandle handle, string what)
    {
        if (FdatasyncNative(handle) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"fdatasync of {what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
    }

    /// <summary>
    /// <c>pread(2)</c>: bytes read at <paramref name="offset"/>, 0 at the end. .NET's own read first asks whether the
    /// file can seek (an <c>lseek</c>) on every new handle, and the store opens a few per operation.
    /// </summary>
    public static int ReadAt(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (true)
        {
            var read = Pread(handle, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length, offset);
            if (read >= 0)
            {
                return (int)read;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                throw new IOException($"Reading failed: {Describe(errno)}.");
            }
        }
    }

    /// <summary><c>pwrite(2)</c> of all of <paramref name="bytes"/> at <paramref name="offset"/> (without .NET's <c>lseek</c>, see <see cref="ReadAt"/>).</summary>
    public static void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long offset)
    {
        while (!bytes.IsEmpty)
        {
            var written = Pwrite(handle, ref MemoryMarshal.GetReference(bytes), (nuint)bytes.Length, offset);
            if (written < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                {
                    continue;
                }

                throw new IOException($"Writing failed: {Describe(errno)}.");
            }

            bytes = bytes[(int)written..];
            offset += written;
        }
    }

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint Pwrite(SafeFileHandle fd, ref byte buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint Pread(SafeFileHandle fd, ref byte buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdatasyncNative(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxPath(int dirfd, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxHandle(SafeFileHandle fd, string path, int flags, uint mask, ref byte buffer);
}
