using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// <c>doctor</c> on the files under the root: beadboard's mutex left by a crashed process, damaged store files
/// (moved aside with what could be salvaged, by the store's own repair), and the identity locks below
/// <c>--under DIR</c> (not checked without it).
/// </summary>
internal sealed class FileStoreDoctor(FileReservationStore store, CommandContext context) : StoreDoctor(store, context)
{
    private readonly FileReservationPersistence _files = store.Files;

    private readonly string? _under = context.Optional("under") is { } dir ? Path.GetFullPath(dir) : null;

    public override JsonObject Where => new() { ["root"] = Context.Root, ["under"] = _under };

    public override string LookedAt => $"store {Context.Root}; identity locks {(_under is null ? "not checked (give --under DIR)" : "below " + _under)}";

    public override string PathOf(Reservation expired) => _files.ActivePath;

    public override async Task<bool> CheckStoreAsync(DoctorCommand.Report report, CancellationToken cancellationToken)
    {
        if (Native.StatNoFollow(_files.ReservationsDirectory) is not { } directory)
        {
            return false;
        }

        if (!directory.IsDirectory)
        {
            report.Add("damaged-store-file", _files.ReservationsDirectory, $"must be a directory but is {directory.Kind}",
                "left: move it aside by hand", repair: "move it aside by hand");
            return false;
        }

        // beadboard's mutex left by a crashed process: every later call would wait on it. First: removing a commit
        // pipeline's puts in place the version its last process staged, which must not be taken for a leftover below.
        var mutex = await StoreMutex.InspectAsync(_files.LockPath, removeStale: report.Fix, cancellationToken).ConfigureAwait(false);
        if (mutex.Verdict is LockVerdict.Stale or LockVerdict.RemovedStale)
        {
            report.Add("orphaned-mutex", _files.LockPath, $"left behind by {mutex.Holder}, which is gone",
                mutex.Verdict == LockVerdict.RemovedStale ? "removed" : null);
        }

        // A new version staged by a process killed before its rename: harmless, but it stays until removed.
        foreach (var leftover in _files.FindLeftoverTemporaryFiles())
        {
            report.Add("leftover-temp-file", leftover, "a new version of a store file whose writer died before putting it in place",
                report.Fix ? FileReservationPersistence.RemoveLeftoverTemporaryFile(leftover) : null);
        }

        if (mutex.Verdict == LockVerdict.Stale)
        {
            // Reading the store takes the mutex, which removes the orphan; without --fix doctor changes nothing.
            report.NotChecked.Add("store files and expired reservations: not read while the orphaned mutex is in place");
            return false;
        }

        var damaged = await _files.FindDamagedAsync(cancellationToken).ConfigureAwait(false);
        foreach (var file in damaged)
        {
            report.Add("damaged-store-file", file.Path, file.Reason,
                report.Fix ? await MoveAsideAsync(file.Path, cancellationToken).ConfigureAwait(false) : null);
        }

        if (damaged.Count > 0 && !report.Fix)
        {
            report.NotChecked.Add("expired reservations: the store cannot be read while a file of it is damaged");
            return false;
        }

        return true;
    }

    /// <summary>The lock files are not in the store: they are checked whatever state the store is in, when <c>--under</c> says where.</summary>
    protected override bool ChecksLocks(bool storeReadable) => _under is not null;

    protected override string? LocksUnder => _under;

    protected override string ReleaseCommand => "agentlocks lock release";

    protected override string LockPath(WorkerLockStatus status) => new LockFile(status.Worker).LockPath;

    /// <summary>
    /// Under the worker's flock, and only if the lock's own reader still refuses it, renames it aside (a directory or
    /// symlink too). What cannot be done is reported for that lock; the rest of the run goes on.
    /// </summary>
    protected override async Task<string> MoveAsideDamagedLockAsync(string lockPath, CancellationToken cancellationToken)
    {
        try
        {
            using var guard = await new LockFile(Path.GetDirectoryName(Path.GetDirectoryName(lockPath))!).LockAsync(create: false, cancellationToken).ConfigureAwait(false);
            if (guard is null)
            {
                return "left: it is gone now";
            }

            try
            {
                guard.Runtime.Read();
                return "left: it is readable now";
            }
            catch (AgentLocksException e) when (e.Code == ErrorCode.InvalidLock)
            {
                return "moved aside to " + guard.Runtime.MoveAside(DateTimeOffset.UtcNow);
            }
        }
        catch (Exception e) when (e is AgentLocksException or IOException or UnauthorizedAccessException)
        {
            return "left: " + e.Message;
        }
    }

    private async Task<string> MoveAsideAsync(string path, CancellationToken cancellationToken)
    {
        if (await _files.RepairIfDamagedAsync(path, cancellationToken).ConfigureAwait(false) is not { } done)
        {
            return "left: it is readable now";
        }

        // Without its file the agent is unknown to the store: its reserve calls fail until it registers again.
        var again = Path.GetDirectoryName(path) == _files.AgentsDirectory && done.StartsWith("moved", StringComparison.Ordinal)
            ? $"; register it again: agentlocks agent register --agent {Path.GetFileNameWithoutExtension(path)}"
            : string.Empty;
        return done + again;
    }
}
