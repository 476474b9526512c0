using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// The few libc calls the identity locks need and .NET does not expose: <c>flock(2)</c> without .NET's own
/// share-mode locking (any <see cref="FileShare"/> but None takes <c>LOCK_SH|LOCK_NB</c> at open, which fails
/// while gastown holds <c>LOCK_EX</c>), <c>O_NOFOLLOW</c> opens, directory <c>fsync</c>, and <c>kill(pid, 0)</c>.
/// Linux only: the flag values below are Linux's.
/// </summary>
internal static partial class Native
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EWOULDBLOCK = 11;
    public const int ELOOP = 40;

    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;
    private const int O_RDONLY = 0;
    private const int O_RDWR = 2;
    private const int O_CREAT = 0x40;
    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;

    // x86 and x64 differ from the generic Linux ABI (arm, arm64, riscv...) in these two.
    private static readonly bool IsX86 = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
    private static readonly int O_DIRECTORY = IsX86 ? 0x10000 : 0x4000;
    private static readonly int O_NOFOLLOW = IsX86 ? 0x20000 : 0x8000;

    /// <summary>Opens (creating, mode 0644) a file to flock, refusing a symlink (<c>ELOOP</c>).</summary>
    public static SafeFileHandle OpenLockFile(string path)
        => OpenOrThrow(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0x1A4 /* 0644 */);

    /// <summary>Opens a file for reading without following a symlink; null when it does not exist.</summary>
    public static SafeFileHandle? OpenNoFollowForRead(string path, out int errno)
    {
        // O_NONBLOCK: a FIFO planted at the lock path must not hang the reader.
        var fd = Open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Tries <c>flock(LOCK_EX|LOCK_NB)</c>; false when another open file description holds it.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle)
    {
        while (true)
        {
            if (Flock(handle, LOCK_EX | LOCK_NB) == 0)
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

    /// <summary>Blocking <c>flock(LOCK_EX)</c>.</summary>
    public static void LockExclusive(SafeFileHandle handle)
    {
        while (Flock(handle, LOCK_EX) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                throw new IOException($"flock failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
            }
        }
    }

    /// <summary>Makes a rename or unlink in <paramref name="directory"/> durable.</summary>
    public static void FsyncDirectory(string directory)
    {
        using var handle = OpenOrThrow(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (Fsync(handle) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"fsync of {directory} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
    }

    /// <summary><c>kill(pid, 0)</c>: 0 when the process exists and may be signalled, else the errno.</summary>
    public static int ProbeSignal(int pid) => Kill(pid, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>The parent of this process.</summary>
    public static int ParentProcessId() => GetParentPid();

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

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();
}
