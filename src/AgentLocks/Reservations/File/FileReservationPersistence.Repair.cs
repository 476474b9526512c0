using System.Globalization;
using System.Text;
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

        using var mutex = await StoreMutex.AcquireAsync(LockPath, _lockTimeout, cancellationToken, join: false).ConfigureAwait(false);
        return [.. FilesOfTheStore().Select(Check).OfType<DamagedStoreFile>()];
    }

    /// <summary>
    /// Temporary files of this store's writers (<c>NAME.tmp-PID-RANDOM</c>, <see cref="StagedFile"/>) in its
    /// directories whose writer is gone: a process killed between writing a new version and renaming it into place.
    /// Only regular files with exactly that name; another tool's temporary files are never listed. Writes nothing.
    /// </summary>
    public IReadOnlyList<string> FindLeftoverTemporaryFiles()
        => [.. new[] { ReservationsDirectory, AgentsDirectory }.Where(Directory.Exists).SelectMany(Directory.EnumerateFileSystemEntries).Where(IsLeftover).Order(StringComparer.Ordinal)];

    /// <summary>Removes <paramref name="path"/> when it is still a leftover temporary file (judged again); what was done.</summary>
    public static string RemoveLeftoverTemporaryFile(string path)
    {
        if (!IsLeftover(path))
        {
            return "left: its writer runs, or it is gone";
        }

        File.Delete(path);
        return "removed";
    }

    private static bool IsLeftover(string path)
        => StagedFile.WriterOf(Path.GetFileName(path)) is { } pid
            && Native.StatNoFollow(path) is { IsRegular: true }
            && !StoreMutex.IsAlive((pid, null, null), File.GetLastWriteTimeUtc(path));

    /// <summary>
    /// Under the mutex, and only if its reader still refuses it, repairs a damaged file by salvage: what can be read
    /// is kept, and the damaged file is renamed to <c>NAME.damaged-&lt;UTC time&gt;</c> (never deleted). active.json is
    /// rebuilt with every reservation of its readable part and every live one the history shows; the history with
    /// its readable lines; the ceiling and agent records are moved aside (the fencing floor is kept from the rest). A path that is not a
    /// regular file is left as it is. Returns what was done, or null when the file is readable now or gone.
    /// </summary>
    public async Task<string?> RepairIfDamagedAsync(string path, CancellationToken cancellationToken)
    {
        using var mutex = await StoreMutex.AcquireAsync(LockPath, _lockTimeout, cancellationToken, join: false).ConfigureAwait(false);
        if (Check(path) is null)
        {
            return null;
        }

        if (Native.StatNoFollow(path) is { IsRegular: false } odd)
        {
            return $"left: it is {odd.Kind}, not a regular file; AgentLocks never opens or removes one: move it aside by hand";
        }

        var now = TimeProvider.GetUtcNow();
        string done;
        if (path == ActivePath)
        {
            done = SalvageActive(now);
        }
        else if (path == HistoryPath)
        {
            done = SalvageHistory(now);
        }
        else
        {
            done = "moved aside to " + DamagedFile.MoveAside(path, now);
        }

        KeepFencingFloor();
        return done;
    }

    /// <summary>
    /// Moves the damaged active.json aside and, when anything can be recovered, writes a new one with the
    /// reservations of its readable part and the live ones the history shows.
    /// </summary>
    private string SalvageActive(DateTimeOffset now)
    {
        var (readable, unreadable) = ActiveFile.Salvage(File.ReadAllBytes(ActivePath));
        var kept = readable.Select(r => r.Id).ToHashSet();
        var fromHistory = Check(HistoryPath) is not null ? [] : ReadHistory()
            .GroupBy(e => e.Reservation.Id)
            .Select(g => g.Last().Reservation)
            .Where(r => r.IsLiveAt(now) && !kept.Contains(r.Id))
            .ToList();
        var aside = "moved aside to " + DamagedFile.MoveAside(ActivePath, now);
        if (readable.Count + fromHistory.Count == 0)
        {
            return aside;
        }

        List<Reservation> all = [.. readable, .. fromHistory];
        var ceiling = Check(CeilingPath) is null ? ReadCeiling() : 0;
        var last = all.Aggregate(ceiling, (max, r) => Math.Max(max, r.FencingToken?.Value ?? 0));
        DurableFile.WriteAtomic(ActivePath, new ActiveFile { Reservations = all, LastFencingToken = last }.ToBytes());
        static string Ids(List<Reservation> list) => list.Count > 0 ? " (" + string.Join(", ", list.Select(r => $"{r.Id}: {r.Scope} by {r.AgentId}")) + ")" : string.Empty;
        return $"{aside}; rebuilt active.json: kept {readable.Count} reservation(s) of its readable part{Ids(readable)} and {fromHistory.Count} live one(s) from the history{Ids(fromHistory)}; "
            + (unreadable.Length == 0 ? "the damage held no reservation" : $"could not read {unreadable}");
    }

    /// <summary>Moves the damaged history aside (kept whole for people) and writes its readable lines back.</summary>
    private string SalvageHistory(DateTimeOffset now)
    {
        var lines = File.ReadAllText(HistoryPath).Split('\n');
        var (good, bad) = (new StringBuilder(), new StringBuilder());
        List<int> badNumbers = [];
        for (var i = 0; i < lines.Length; i++)
        {
            var last = i == lines.Length - 1;
            if (last && lines[i].Length == 0)
            {
                break;
            }

            var readable = !last && TryReadLine(lines[i]);
            (readable ? good : bad).Append(lines[i]).Append('\n');
            if (!readable)
            {
                badNumbers.Add(i + 1);
            }
        }

        var aside = DamagedFile.MoveAside(HistoryPath, now);
        DurableFile.WriteAtomic(HistoryPath, Encoding.UTF8.GetBytes(good.ToString()));
        return $"moved aside to {aside}; kept its readable lines in history.jsonl; could not read line(s) {string.Join(", ", badNumbers)}";

        static bool TryReadLine(string line)
        {
            if (line.Length == 0)
            {
                return true;
            }

            try
            {
                HistoryLines.Read(line);
                return true;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                return false;
            }
        }
    }

    private IEnumerable<string> FilesOfTheStore()
    {
        string[] fixedFiles = [ActivePath, CeilingPath, HistoryPath, RepositoryPath];
        IEnumerable<string> agents = Native.StatNoFollow(AgentsDirectory) is { IsDirectory: true }
            ? Directory.EnumerateFileSystemEntries(AgentsDirectory, "*.json").Order(StringComparer.Ordinal)
            : [];
        IEnumerable<string> messages = Native.StatNoFollow(MessagesDirectory) is { IsDirectory: true }
            ? Directory.EnumerateFileSystemEntries(MessagesDirectory, "*.json").Where(m => Native.StatNoFollow(m) is { IsRegular: false }).Order(StringComparer.Ordinal)
            : [];
        return fixedFiles.Where(f => Native.StatNoFollow(f) is not null).Concat(agents).Concat(messages);
    }

    /// <summary>The damage the store's reader finds in <paramref name="path"/>, or null when it reads (or is absent).</summary>
    private DamagedStoreFile? Check(string path)
    {
        if (Native.StatNoFollow(path) is null)
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
            else if (path == RepositoryPath)
            {
                ((IRepositoryRecord)this).Read();
            }
            else if (Path.GetDirectoryName(path) == AgentsDirectory)
            {
                AgentFile.Read(path);
            }
            else if (Path.GetDirectoryName(path) == MessagesDirectory)
            {
                StoreFiles.ReadIfExists(path); // only the kind of file matters: a damaged message is beadboard's business
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
        if (Native.StatNoFollow(HistoryPath) is { IsRegular: true })
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
