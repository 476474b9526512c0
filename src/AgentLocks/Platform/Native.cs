using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// The few libc calls the identity locks need and .NET does not expose: <c>flock(2)</c> without .NET's own
/// share-mode locking (any <see cref="FileShare"/> but None takes <c>LOCK_SH|LOCK_NB</c> at open, which fails
/// while gastown holds <c>LOCK_EX</c>), <c>O_NOFOLLOW</c> opens, the <c>*at</c> calls that work relative to a
/// directory handle (so a path component swapped for a symlink meanwhile is never followed), directory
/// <c>fsync</c>, <c>kill</c> and pipes a child inherits.
/// Linux only: the flag values below are Linux's.
/// </summary>
internal static partial class Native
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EWOULDBLOCK = 11;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ELOOP = 40;
    public const int SIGHUP = 1;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    private const int EACCES = 13;
    private const int F_OFD_SETLK = 37;
    private const int F_OFD_SETLKW = 38;
    private const short F_RDLCK = 0;
    private const short F_WRLCK = 1;
    private const short F_UNLCK = 2;
    private const int LOCK_SH = 1;
    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;
    private const int LOCK_UN = 8;
    private const int O_RDONLY = 0;
    private const int O_WRONLY = 1;
    private const int O_RDWR = 2;
    private const int O_CREAT = 0x40;
    private const int O_EXCL = 0x80;
    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;

    // x86 and x64 differ from the generic Linux ABI (arm, arm64, riscv...) in these two.
    private static readonly bool IsX86 = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
    private static readonly int O_DIRECTORY = IsX86 ? 0x10000 : 0x4000;
    private static readonly int O_NOFOLLOW = IsX86 ? 0x20000 : 0x8000;

    /// <summary>Opens a directory for reading, following symlinks (the caller's own path).</summary>
    public static SafeFileHandle? OpenDirectory(string path, out int errno)
        => Result(Open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), out errno);

    /// <summary>Opens the directory <paramref name="name"/> in <paramref name="directory"/> without following a symlink.</summary>
    public static SafeFileHandle? OpenDirectoryAt(SafeFileHandle directory, string name, out int errno)
        => Result(OpenAt(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0), out errno);

    /// <summary>Opens (creating, mode 0644) <paramref name="name"/> in <paramref name="directory"/> to flock, without following a symlink.</summary>
    public static SafeFileHandle? OpenLockFileAt(SafeFileHandle directory, string name, out int errno)
        => Result(OpenAt(directory, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0x1A4 /* 0644 */), out errno);

    /// <summary>Opens <paramref name="name"/> in <paramref name="directory"/> for reading without following a symlink.</summary>
    public static SafeFileHandle? OpenForReadAt(SafeFileHandle directory, string name, out int errno)
        // O_NONBLOCK: a FIFO planted at the lock path must not hang the reader.
        => Result(OpenAt(directory, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0), out errno);

    /// <summary>Creates <paramref name="name"/> (mode 0644) in <paramref name="directory"/>; fails when anything has that name.</summary>
    public static SafeFileHandle? CreateNewAt(SafeFileHandle directory, string name, out int errno)
        => Result(OpenAt(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0x1A4 /* 0644 */), out errno);

    /// <summary><c>mkdirat</c> (mode 0755): 0 or the errno.</summary>
    public static int MakeDirectoryAt(SafeFileHandle directory, string name)
        => MkdirAt(directory, name, 0x1ED /* 0755 */) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary><c>renameat</c> within one directory: 0 or the errno.</summary>
    public static int RenameAt(SafeFileHandle directory, string from, string to)
        => RenameAtNative(directory, from, directory, to) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary><c>linkat</c> within one directory, never replacing: 0 or the errno (<c>EEXIST</c> when <paramref name="to"/> exists).</summary>
    public static int LinkAt(SafeFileHandle directory, string from, string to)
        => LinkAtNative(directory, from, directory, to, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary><c>unlinkat</c> of a non-directory: 0 or the errno (<c>EISDIR</c> for a directory).</summary>
    public static int UnlinkAt(SafeFileHandle directory, string name)
        => UnlinkAtNative(directory, name, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>True when <paramref name="name"/> in <paramref name="directory"/> is a symbolic link (<c>readlinkat</c> succeeds).</summary>
    public static bool IsSymlinkAt(SafeFileHandle directory, string name)
    {
        Span<byte> buffer = stackalloc byte[1];
        return ReadLinkAt(directory, name, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length) >= 0;
    }

    /// <summary><c>fsync</c> of an open file or directory.</summary>
    public static void Fsync(SafeFileHandle handle, string what)
    {
        if (FsyncNative(handle) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"fsync of {what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/> to <paramref name="handle"/>.</summary>
    public static void WriteAll(SafeFileHandle handle, ReadOnlySpan<byte> bytes) => WriteAt(handle, bytes, 0);

    /// <summary>A pipe, both ends closed on exec: no child inherits either.</summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) Pipe()
    {
        Span<int> fds = stackalloc int[2];
        if (Pipe2(ref MemoryMarshal.GetReference(fds), O_CLOEXEC) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"pipe failed: {Describe(errno)}.");
        }

        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it is gone.</summary>
    public static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>The message of an errno.</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>Opens a file for reading without following a symlink; null when it does not exist.</summary>
    public static SafeFileHandle? OpenNoFollowForRead(string path, out int errno)
    {
        // O_NONBLOCK: a FIFO planted at the lock path must not hang the reader.
        var fd = Open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Tries <c>flock(LOCK_EX|LOCK_NB)</c>; false when another open file description holds it.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle) => TryFlock(handle, LOCK_EX);

    /// <summary>Tries <c>flock(LOCK_SH|LOCK_NB)</c>; false when another open file description holds it exclusively.</summary>
    public static bool TryLockShared(SafeFileHandle handle) => TryFlock(handle, LOCK_SH);

    private static bool TryFlock(SafeFileHandle handle, int operation)
    {
        while (true)
        {
            if (Flock(handle, operation | LOCK_NB) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EWOULDBLOCK)
            {
                return false;
            }

            if (errno != EINTR)
            {
                throw new IOException($"flock failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
            }
        }
    }

    /// <summary><c>flock(LOCK_UN)</c>: lets go of this description's flock.</summary>
    public static void Unlock(SafeFileHandle handle) => Lock(handle, LOCK_UN);

    /// <summary>Blocking <c>flock(LOCK_EX)</c>.</summary>
    public static void LockExclusive(SafeFileHandle handle) => Lock(handle, LOCK_EX);

    /// <summary>Blocking <c>flock(LOCK_SH)</c>.</summary>
    public static void LockShared(SafeFileHandle handle) => Lock(handle, LOCK_SH);

    private static void Lock(SafeFileHandle handle, int operation)
    {
        while (Flock(handle, operation) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                throw new IOException($"flock failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
            }
        }
    }

    /// <summary>
    /// An exclusive (or, when <paramref name="shared"/>, shared) open-file-description lock (<c>F_OFD_SETLK</c>/<c>F_OFD_SETLKW</c>)
    /// on <paramref name="length"/> bytes at <paramref name="offset"/>, which need not exist; false when another open file
    /// description holds any of them in conflict (only when not <paramref name="wait"/>). A lock already held through the
    /// same description is converted. Let go with <see cref="UnlockRange"/> or by closing the handle, or by dying.
    /// </summary>
    public static bool LockRange(SafeFileHandle handle, long offset, long length, bool wait, bool shared = false)
    {
        var request = new RangeLock { Type = shared ? F_RDLCK : F_WRLCK, Whence = 0, Start = offset, Length = length };
        while (Fcntl(handle, wait ? F_OFD_SETLKW : F_OFD_SETLK, ref request) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (!wait && errno is EWOULDBLOCK or EACCES)
            {
                return false;
            }

            if (errno != EINTR)
            {
                throw new IOException($"fcntl(F_OFD_SETLK) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
            }
        }

        return true;
    }

    /// <summary>Lets go of a <see cref="LockRange"/>.</summary>
    public static void UnlockRange(SafeFileHandle handle, long offset, long length)
    {
        var request = new RangeLock { Type = F_UNLCK, Whence = 0, Start = offset, Length = length };
        if (Fcntl(handle, F_OFD_SETLK, ref request) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"fcntl(F_UNLCK) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
    }

    /// <summary>Makes a rename or unlink in <paramref name="directory"/> durable.</summary>
    public static void FsyncDirectory(string directory)
    {
        using var handle = OpenOrThrow(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        Fsync(handle, directory);
    }

    /// <summary><c>kill(pid, 0)</c>: 0 when the process exists and may be signalled, else the errno.</summary>
    public static int ProbeSignal(int pid) => Kill(pid, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>The parent of this process.</summary>
    public static int ParentProcessId() => GetParentPid();

    private static SafeFileHandle? Result(int fd, out int errno)
    {
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    private static SafeFileHandle OpenOrThrow(string path, int flags, int mode)
    {
        var fd = Open(path, flags, mode);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        throw errno == ELOOP
            ? new AgentLocksException(ErrorCode.InvalidLock, $"{path} is a symbolic link; AgentLocks never follows one. Remove it by hand.")
            : new IOException($"Cannot open {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle fd, int command, ref RangeLock request);

    /// <summary><c>struct flock</c> (64-bit Linux): type and whence, then start, length and a PID that OFD locks leave 0.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RangeLock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAt(SafeFileHandle directory, string name, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirAt(SafeFileHandle directory, string name, int mode);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAtNative(SafeFileHandle fromDirectory, string from, SafeFileHandle toDirectory, string to);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkAtNative(SafeFileHandle fromDirectory, string from, SafeFileHandle toDirectory, string to, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkAtNative(SafeFileHandle directory, string name, int flags);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadLinkAt(SafeFileHandle directory, string name, ref byte buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(ref int fds, int flags);


    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();
}
