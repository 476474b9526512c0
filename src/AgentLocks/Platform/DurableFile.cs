using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// Durable, atomic file writes: a uniquely named temporary file, fsync, rename over the target, fsync of the
/// directory (so the rename itself survives a power cut). Every step is relative to one open handle on the
/// directory (<c>openat</c>, <c>renameat</c>), and the temporary file is created with <c>O_EXCL|O_NOFOLLOW</c>, so
/// a symlink planted in the directory is never followed. Appends fsync the file.
/// </summary>
internal static class DurableFile
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> all at once.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> content)
    {
        var (directory, directoryPath, name) = OpenParent(path);
        using (directory)
        {
            WriteAtomicAt(directory, directoryPath, name, content);
        }
    }

    /// <summary>Creates <paramref name="path"/> with <paramref name="content"/> all at once; a file already there is left as it is.</summary>
    public static void CreateAtomic(string path, ReadOnlySpan<byte> content)
    {
        var (directory, directoryPath, name) = OpenParent(path);
        using (directory)
        {
            WriteAtomicAt(directory, directoryPath, name, content, replace: false);
        }
    }

    /// <summary>
    /// Writes <paramref name="name"/> in the open <paramref name="directory"/> (<paramref name="directoryPath"/> is
    /// for messages): replacing what is there, or, unless <paramref name="replace"/>, leaving an existing file as it
    /// is (another writer created it first; its content stands).
    /// </summary>
    public static void WriteAtomicAt(SafeFileHandle directory, string directoryPath, string name, ReadOnlySpan<byte> content, bool replace = true)
    {
        using (var staged = StagedFile.WriteAt(directory, directoryPath, name, content))
        {
            staged.Sync();
            staged.Place(replace);
        }

        Native.Fsync(directory, directoryPath);
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
            Native.FsyncDirectory(Path.GetDirectoryName(path)!);
        }
    }

    /// <summary>The directory of <paramref name="path"/>, opened (the caller's own path, so a symlinked store root is followed), and the file's name.</summary>
    public static (SafeFileHandle Directory, string DirectoryPath, string Name) OpenParent(string path)
    {
        var full = Path.GetFullPath(path);
        var directoryPath = Path.GetDirectoryName(full)!;
        var directory = Native.OpenDirectory(directoryPath, out var errno)
            ?? throw (errno == Native.ENOENT
                ? new DirectoryNotFoundException($"Cannot write {full}: the directory {directoryPath} does not exist.")
                : new IOException($"Cannot open {directoryPath}: {Native.Describe(errno)}."));
        return (directory, directoryPath, Path.GetFileName(full));
    }
}
