using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AgentLocks;

/// <summary>
/// Durable, atomic file writes: a uniquely named temporary file, fsync, rename over the target, fsync of the
/// directory (so the rename itself survives a power cut). Appends fsync the file.
/// </summary>
internal static class DurableFile
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> all at once.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> content)
    {
        // pid + 64 random bits: two writers never share a name, not even within one millisecond (beadboard's collide).
        var temp = $"{path}.tmp-{Environment.ProcessId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>Appends <paramref name="content"/> and flushes it to disk.</summary>
    public static void AppendDurable(string path, ReadOnlySpan<byte> content)
    {
        var created = !File.Exists(path);
        using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        if (created)
        {
            SyncDirectory(Path.GetDirectoryName(path)!);
        }
    }

    /// <summary>fsync of a directory, so a rename or create in it is durable. Windows has no such call and needs none.</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(directory, OperatingSystem.IsLinux() ? ReadOnlyDirectory : 0);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // DllImport of blittable arguments (a NUL-terminated UTF-8 byte array) needs neither unsafe code nor runtime marshalling stubs.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int OpenNative(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);

    private static int Open(string path, int flags) => OpenNative([.. System.Text.Encoding.UTF8.GetBytes(path), 0], flags);
}
