using System.Security.Cryptography;

namespace AgentLocks;

/// <summary>
/// Durable, atomic file writes: a uniquely named temporary file, fsync, rename over the target, fsync of the
/// directory (so the rename itself survives a power cut). Appends fsync the file.
/// </summary>
internal static class DurableFile
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> all at once.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> content) => MoveIntoPlace(path, content, overwrite: true);

    /// <summary>Creates <paramref name="path"/> with <paramref name="content"/> all at once; a file already there is left as it is.</summary>
    public static void CreateAtomic(string path, ReadOnlySpan<byte> content)
    {
        try
        {
            MoveIntoPlace(path, content, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another writer created it first; its content stands.
        }
    }

    private static void MoveIntoPlace(string path, ReadOnlySpan<byte> content, bool overwrite)
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

            File.Move(temp, path, overwrite);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        Native.FsyncDirectory(Path.GetDirectoryName(path)!);
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
}
