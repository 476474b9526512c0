using System.Globalization;
using System.Text.Json;

namespace AgentLocks;

/// <summary>One file of the store that its reader refuses, and why.</summary>
internal sealed record DamagedStoreFile(string Path, string Reason);

/// <summary>How a damaged file is put out of the way: renamed beside itself, never deleted, so a person can still read it.</summary>
internal static class DamagedFile
{
    /// <summary>Renames <paramref name="path"/> to <c>NAME.damaged-&lt;UTC time to the second&gt;[-N]</c>; a name already taken is never overwritten.</summary>
    public static string MoveAside(string path, DateTimeOffset now)
    {
        var stamp = ".damaged-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var target = path + stamp;
        for (var n = 2; Path.Exists(target); n++)
        {
            target = path + stamp + "-" + n.ToString(CultureInfo.InvariantCulture);
        }

        File.Move(path, target, overwrite: false);
        Native.FsyncDirectory(Path.GetDirectoryName(path)!);
        return target;
    }
}

/// <summary>What <c>doctor</c> asks of the file store: every damaged file, and moving one aside without losing the fencing floor.</summary>
internal sealed partial class FileReservationPersistence
{
    /// <summary>
    /// Reads every file of the store under its mutex with the store's own readers and returns those they refuse
    /// (all of them, not only the first as a normal call would). Writes nothing.
    /// </summary>
    public async Task<IReadOnlyList<DamagedStoreFile>> FindDamagedAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(ReservationsDirectory))
        {
            return [];
        }

        using var mutex = await StoreMutex.AcquireAsync(LockPath, _lockTimeout, cancellationToken).ConfigureAwait(false);
        return [.. StoreFiles().Select(Check).OfType<DamagedStoreFile>()];
    }

    /// <summary>
    /// Under the mutex, and only if its reader still refuses it, renames a damaged file to
    /// <c>NAME.damaged-&lt;UTC time&gt;</c> (never overwriting, never deleting). Returns the new path, or null when the
    /// file is readable now or gone.
    /// </summary>
    public async Task<string?> MoveAsideIfDamagedAsync(string path, CancellationToken cancellationToken)
    {
        using var mutex = await StoreMutex.AcquireAsync(LockPath, _lockTimeout, cancellationToken).ConfigureAwait(false);
        if (Check(path) is null)
        {
            return null;
        }

        var target = DamagedFile.MoveAside(path, TimeProvider.GetUtcNow());
        KeepFencingFloor();
        return target;
    }

    private IEnumerable<string> StoreFiles()
    {
        string[] fixedFiles = [ActivePath, CeilingPath, HistoryPath];
        IEnumerable<string> agents = Directory.Exists(AgentsDirectory)
            ? Directory.EnumerateFiles(AgentsDirectory, "*.json").Order(StringComparer.Ordinal)
            : [];
        return fixedFiles.Where(File.Exists).Concat(agents);
    }

    /// <summary>The damage the store's reader finds in <paramref name="path"/>, or null when it reads (or is absent).</summary>
    private DamagedStoreFile? Check(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            if (path == ActivePath)
            {
                ReadActive();
            }
            else if (path == CeilingPath)
            {
                ReadCeiling();
            }
            else if (path == HistoryPath)
            {
                ReadHistory();
            }
            else if (Path.GetDirectoryName(path) == AgentsDirectory)
            {
                Parse(path, AgentLocksJsonContext.Default.AgentRecord);
            }
            else
            {
                throw new ArgumentException($"{path} is not a file of the store under {Root}.", nameof(path));
            }

            return null;
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.StoreCorrupt)
        {
            return new DamagedStoreFile(path, e.Message);
        }
    }

    /// <summary>
    /// Fencing tokens must keep growing after <c>active.json</c> or the ceiling is moved aside. The next token counts
    /// from active.json's last token, else the ceiling; when what is left is below a token the history shows
    /// was handed out, the ceiling is raised above it.
    /// </summary>
    private void KeepFencingFloor()
    {
        long last;
        try
        {
            last = ReadActive().LastFencingToken ?? ReadCeiling();
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.StoreCorrupt)
        {
            // Another damaged file is still in place; the floor is kept when that one is moved aside.
            return;
        }

        long handedOut = 0;
        if (File.Exists(HistoryPath))
        {
            foreach (var line in File.ReadLines(HistoryPath).Where(l => l.Length > 0))
            {
                try
                {
                    handedOut = Math.Max(handedOut, HistoryLines.Read(line).Reservation.FencingToken?.Value ?? 0);
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
                {
                    // A damaged line shows no token; the lines around it still do.
                }
            }
        }

        if (handedOut > last)
        {
            DurableFile.WriteAtomic(CeilingPath, new FencingCeiling(handedOut + CeilingBlock).ToBytes());
        }
    }
}
