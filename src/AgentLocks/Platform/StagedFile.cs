using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// A new version of a file, written under a temporary name beside it, to be synced (<see cref="Sync"/>) and then put in
/// its place (<see cref="Place"/>: a rename, atomic for every reader). The rename survives a power cut only once the
/// directory is synced (<see cref="SyncDirectory"/>): <see cref="DurableFile"/> does that at once; a store commit does it
/// after letting go of its mutex. Disposing removes the temporary name unless it was renamed.
/// </summary>
internal sealed partial class StagedFile(SafeFileHandle directory, bool ownsDirectory, string directoryPath, string name, string temp, SafeFileHandle file) : IDisposable
{
    private static readonly string ProcessId = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The process that staged a file of this name (<c>NAME.tmp-PID-RANDOM</c>, <see cref="Stage"/>); null for any other name.</summary>
    public static int? WriterOf(string fileName)
        => TemporaryNamePattern().Match(fileName) is { Success: true } match && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private bool _renamed;
    private bool _discarded;
    private SafeFileHandle? _replaced;

    /// <summary>The temporary name the new version is written under.</summary>
    public string TemporaryName => temp;

    /// <summary>Stages <paramref name="content"/> for <paramref name="path"/> (its directory is the caller's own path, so a symlinked store root is followed).</summary>
    public static StagedFile Write(string path, ReadOnlySpan<byte> content)
    {
        var (directory, directoryPath, name) = DurableFile.OpenParent(path);
        try
        {
            return Stage(directory, ownsDirectory: true, directoryPath, name, content);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Stages <paramref name="content"/> for <paramref name="name"/> in the open <paramref name="directory"/> (<paramref name="directoryPath"/> is for messages).</summary>
    public static StagedFile WriteAt(SafeFileHandle directory, string directoryPath, string name, ReadOnlySpan<byte> content)
        => Stage(directory, ownsDirectory: false, directoryPath, name, content);

    /// <summary>Makes the new version's content survive a power cut; needed before <see cref="Place"/>.</summary>
    public void Sync() => Native.Fsync(file, temp);

    /// <summary>
    /// Puts the new version in place: renamed over what is there, or, unless <paramref name="replace"/>, linked only
    /// when nothing is (another writer created it first; its content stands).
    /// </summary>
    public void Place(bool replace = true)
    {
        // The file replaced is freed when its last handle closes, and where the filesystem is mounted with `discard`
        // that free waits for the device (a fifth of a durable write on our CI machine): it is held open across the
        // rename and closed on a pool thread from Dispose, off the path of the call and of the store's mutex.
        _replaced = replace ? Native.OpenForReadAt(directory, name, out _) : null;
        var errno = replace ? Native.RenameAt(directory, temp, name) : Native.LinkAt(directory, temp, name);
        _renamed = replace && errno == 0;
        if (errno != 0 && !(errno == Native.EEXIST && !replace))
        {
            throw new IOException($"Cannot {(replace ? "rename" : "link")} {temp} to {Path.Combine(directoryPath, name)}: {Native.Describe(errno)}.");
        }
    }

    /// <summary>Removes the temporary name now: a newer version is in place, so this one will never be.</summary>
    public void Discard()
    {
        if (!_renamed && !_discarded)
        {
            _ = Native.UnlinkAt(directory, temp);
            _discarded = true;
        }
    }

    /// <summary>Makes <see cref="Place"/> survive a power cut.</summary>
    public void SyncDirectory() => Native.Fsync(directory, directoryPath);

    /// <summary>Removes the temporary name (after a rename it is gone already; after a link or a failure it goes now) and lets the file replaced go.</summary>
    public void Dispose()
    {
        file.Dispose();
        Discard();

        if (_replaced is { } replaced)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static handle => handle.Dispose(), replaced, preferLocal: false);
        }

        if (ownsDirectory)
        {
            directory.Dispose();
        }
    }

    private static StagedFile Stage(SafeFileHandle directory, bool ownsDirectory, string directoryPath, string name, ReadOnlySpan<byte> content)
    {
        // pid + 64 random bits: two writers never share a name, not even within one millisecond (beadboard's collide).
        var temp = $"{name}.tmp-{ProcessId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}";
        var file = Native.CreateNewAt(directory, temp, out var errno) ?? throw new IOException($"Cannot create {temp} in {directoryPath}: {Native.Describe(errno)}.");
        try
        {
            Native.WriteAll(file, content);
        }
        catch
        {
            file.Dispose();
            _ = Native.UnlinkAt(directory, temp);
            throw;
        }

        return new StagedFile(directory, ownsDirectory, directoryPath, name, temp, file);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^.+\.tmp-([0-9]{1,9})-[0-9a-f]{16}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex TemporaryNamePattern();
}
