using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// <c>doctor [--fix] [--under DIR]</c>: finds what crashes and other tools leave behind, and with <c>--fix</c>
/// repairs what is safe. It decides nothing itself: the identity-lock and store code judge (stale, held, damaged);
/// the doctor collects their verdicts and acts on them. Damaged files are moved aside, never deleted.
/// </summary>
internal static class DoctorCommand
{
    public static CommandSpec[] All { get; } =
    [
        new(["doctor"], "doctor", "doctor [--fix] [--under DIR]", ["under"], ["fix"], RunAsync),
    ];

    /// <summary>Suffix of a damaged file moved aside: the time it was moved, sortable and unique per second.</summary>
    internal static string DamagedSuffix(DateTimeOffset now) => ".damaged-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private static async Task<CommandResult> RunAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var fix = context.Flag("fix");
        var findings = new List<Finding>();
        var under = context.Optional("under") is { } dir ? Path.GetFullPath(dir) : null;
        if (under is not null)
        {
            await CheckIdentityLocksAsync(under, fix, findings, cancellationToken).ConfigureAwait(false);
        }

        await CheckStoreAsync(context.Root, fix, findings, cancellationToken).ConfigureAwait(false);

        var data = new JsonObject
        {
            ["root"] = context.Root,
            ["under"] = under,
            ["fix"] = fix,
            ["healthy"] = findings.Count == 0,
            ["findings"] = new JsonArray([.. findings.Select(f => (JsonNode)f.ToJson())]),
        };
        return new CommandResult(data, Human(findings, context.Root, under, fix));
    }

    private static async Task CheckIdentityLocksAsync(string under, bool fix, List<Finding> findings, CancellationToken cancellationToken)
    {
        var scan = await WorkerIdentityLock.FindAllAsync(under, cancellationToken).ConfigureAwait(false);
        var cleaned = fix
            ? (await WorkerIdentityLock.CleanStaleAsync(under, cancellationToken).ConfigureAwait(false)).Cleaned.Select(s => s.WorkerDirectory).ToHashSet()
            : [];
        foreach (var stale in scan.Locks.Where(s => s.State == WorkerLockState.Stale))
        {
            findings.Add(new("stale-lock", LockPath(stale.WorkerDirectory), $"{stale.Reason} (pid {stale.Holder?.Pid})",
                !fix ? null : cleaned.Contains(stale.WorkerDirectory) ? "removed" : "left: it changed since it was judged"));
        }

        var collisions = await WorkerIdentityLock.DetectCollisionsAsync(under, null, cancellationToken).ConfigureAwait(false);
        foreach (var gone in collisions.Collisions.Where(c => c.Kind == WorkerLockCollisionKind.SessionNotFound))
        {
            // The holder lives: killing or unlocking it is a decision for people, not for doctor.
            findings.Add(new("session-gone", LockPath(gone.Status.WorkerDirectory), gone.Message, fix ? "left: its process is alive" : null));
        }

        foreach (var damaged in scan.Problems.Where(p => p.Code == ErrorCode.InvalidLock))
        {
            var action = fix ? await MoveAsideDamagedLockAsync(damaged.Path, cancellationToken).ConfigureAwait(false) : null;
            findings.Add(new("damaged-lock", damaged.Path, damaged.Message, action));
        }
    }

    /// <summary>Under the worker's flock, and only if the lock's own reader still refuses it, renames it aside.</summary>
    private static async Task<string> MoveAsideDamagedLockAsync(string lockPath, CancellationToken cancellationToken)
    {
        var worker = Path.GetDirectoryName(Path.GetDirectoryName(lockPath))!;
        var file = new LockFile(worker);
        using var guard = await file.LockAsync(create: false, cancellationToken).ConfigureAwait(false);
        try
        {
            file.Read();
            return "left: it is readable now";
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.InvalidLock)
        {
            return MoveAside(file.LockPath);
        }
    }

    private static async Task CheckStoreAsync(string root, bool fix, List<Finding> findings, CancellationToken cancellationToken)
    {
        var files = new FileReservationPersistence(root, TimeProvider.System, new ReservationStoreOptions().LockTimeout);
        if (!Directory.Exists(files.ReservationsDirectory))
        {
            return;
        }

        // beadboard's mutex left by a crashed process: every later call would wait on it.
        var mutex = await StoreMutex.InspectAsync(files.LockPath, removeStale: fix, cancellationToken).ConfigureAwait(false);
        if (mutex.Verdict is LockVerdict.Stale or LockVerdict.RemovedStale)
        {
            findings.Add(new("orphaned-mutex", files.LockPath, $"left behind by {mutex.Holder}, which is gone",
                mutex.Verdict == LockVerdict.RemovedStale ? "removed" : null));
        }

        if (mutex.Verdict == LockVerdict.Stale)
        {
            // Reading the store would recover the mutex, and without --fix doctor changes nothing.
            return;
        }

        try
        {
            // A decision that changes nothing: the store reads and checks everything under its mutex, writes nothing.
            var expired = await files.UpdateAsync(
                withHistory: false,
                ledger => ledger.Active.Where(r => !r.IsLiveAt(files.TimeProvider.GetUtcNow())).ToList(),
                cancellationToken).ConfigureAwait(false);
            if (fix && expired.Count > 0)
            {
                await new FileReservationStore(root).GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            findings.AddRange(expired.Select(r => new Finding(
                "expired-reservation",
                files.ActivePath,
                $"{r.Scope} by {r.AgentId} for {r.BeadId} expired at {r.ExpiresAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}",
                fix ? "swept into the history as expired" : null)));
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.StoreCorrupt)
        {
            var damaged = new[] { files.ActivePath, files.HistoryPath, files.CeilingPath }
                .FirstOrDefault(path => e.Message.StartsWith(path + " ", StringComparison.Ordinal));
            var action = !fix ? null
                : damaged is null ? "left: the damaged file could not be named"
                : await MoveAsideUnderMutexAsync(files, damaged, cancellationToken).ConfigureAwait(false);
            findings.Add(new("damaged-store-file", damaged ?? files.ReservationsDirectory, e.Message, action));
        }
    }

    private static async Task<string> MoveAsideUnderMutexAsync(FileReservationPersistence files, string path, CancellationToken cancellationToken)
    {
        using var mutex = await StoreMutex.AcquireAsync(files.LockPath, new ReservationStoreOptions().LockTimeout, cancellationToken).ConfigureAwait(false);
        return MoveAside(path);
    }

    /// <summary>Renames (never deletes) a damaged file; a name already taken is never overwritten.</summary>
    private static string MoveAside(string path)
    {
        var target = path + DamagedSuffix(DateTimeOffset.UtcNow);
        for (var n = 2; Path.Exists(target); n++)
        {
            target = path + DamagedSuffix(DateTimeOffset.UtcNow) + "-" + n.ToString(CultureInfo.InvariantCulture);
        }

        File.Move(path, target, overwrite: false);
        return "moved aside to " + target;
    }

    private static string LockPath(string worker) => new LockFile(worker).LockPath;

    private static string Human(List<Finding> findings, string root, string? under, bool fix)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"store {root}; identity locks {(under is null ? "not checked (give --under DIR)" : "below " + under)}").AppendLine();
        if (findings.Count == 0)
        {
            return text.Append("healthy: nothing to repair").ToString();
        }

        var rows = findings.Select(f => (IReadOnlyList<Cell>)[f.Kind, f.Path, f.Detail, f.Action ?? (fix ? "" : "run doctor --fix")]).ToList();
        text.Append(TextTable.Render(["problem", "path", "detail", fix ? "done" : "repair"], rows, TextTable.UseColor)).AppendLine();

        return text.Append(CultureInfo.InvariantCulture, $"{findings.Count} problem(s){(fix ? "; repaired what is safe to repair" : "")}").ToString();
    }

    /// <summary>One problem: what, where, why, and what <c>--fix</c> did (null without <c>--fix</c>).</summary>
    private sealed record Finding(string Kind, string Path, string Detail, string? Action)
    {
        public JsonObject ToJson() => new()
        {
            ["kind"] = Kind,
            ["path"] = Path,
            ["detail"] = Detail,
            ["action"] = Action,
        };
    }
}
