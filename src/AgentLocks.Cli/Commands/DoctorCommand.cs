using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// <c>doctor [--fix] [--under DIR] [--tmux-socket NAME[,NAME...]]</c>: finds what crashes and other tools leave
/// behind, and with <c>--fix</c> repairs what is safe. It decides nothing itself: the identity-lock and store code
/// judge (stale, held, damaged); the doctor collects their verdicts and acts on them. Damaged files are moved aside,
/// never deleted. What it could not check is said, not silently skipped.
/// </summary>
internal static class DoctorCommand
{
    public static CommandSpec[] All { get; } =
    [
        new(["doctor"], "doctor", "doctor [--fix] [--under DIR|PREFIX] [--tmux-socket NAME[,NAME...]]", ["under", "tmux-socket"], ["fix"], RunAsync),
    ];

    private static async Task<CommandResult> RunAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var report = new Report(context.Flag("fix"));
        var under = context.Optional("under") is { } dir ? Path.GetFullPath(dir) : null;
        if (under is not null)
        {
            await CheckIdentityLocksAsync(under, context.TmuxSockets(), report, cancellationToken).ConfigureAwait(false);
        }

        await CheckStoreAsync(context.Root, report, cancellationToken).ConfigureAwait(false);

        var data = report.ToJson(new JsonObject { ["root"] = context.Root, ["under"] = under });
        return new CommandResult(data, Human(report, $"store {context.Root}; identity locks {(under is null ? "not checked (give --under DIR)" : "below " + under)}"));
    }

    private static async Task CheckIdentityLocksAsync(string under, IReadOnlyList<string?>? tmuxSockets, Report report, CancellationToken cancellationToken)
    {
        var scan = await WorkerIdentityLock.FindAllAsync(under, cancellationToken).ConfigureAwait(false);
        var cleaned = report.Fix
            ? (await WorkerIdentityLock.CleanStaleAsync(under, cancellationToken).ConfigureAwait(false)).Cleaned.Select(s => s.Worker).ToHashSet()
            : [];
        foreach (var stale in scan.Locks.Where(s => s.State == WorkerLockState.Stale))
        {
            report.Add("stale-lock", LockPath(stale.Worker), $"{stale.Reason} (pid {stale.Holder?.Pid})",
                cleaned.Contains(stale.Worker) ? "removed" : "left: it changed since it was judged");
        }

        // tmux is asked only when a live lock names a session, so a machine without tmux and without such locks is fine.
        if (scan.Locks.Any(s => s is { State: WorkerLockState.Locked, Holder.Session: not null }))
        {
            try
            {
                var collisions = await WorkerIdentityLock.DetectCollisionsAsync(under, tmuxSockets, cancellationToken).ConfigureAwait(false);
                foreach (var gone in collisions.Collisions.Where(c => c.Kind == WorkerLockCollisionKind.SessionNotFound))
                {
                    // The holder lives: killing or unlocking it is a decision for people, not for doctor.
                    report.Add("session-gone", LockPath(gone.Status.Worker), gone.Message, "left: its process is alive",
                        repair: $"not by --fix: end pid {gone.Status.Holder?.Pid}, or agentlocks lock release --force --worker {gone.Status.Worker}");
                }
            }
            catch (AgentLocksException e) when (e.Code == ErrorCode.InternalError)
            {
                report.NotChecked.Add("tmux sessions: " + e.Message);
            }
        }

        foreach (var damaged in scan.Problems.Where(p => p.Code == ErrorCode.InvalidLock))
        {
            report.Add("damaged-lock", damaged.Path, damaged.Message,
                report.Fix ? await MoveAsideDamagedLockAsync(damaged.Path, cancellationToken).ConfigureAwait(false) : null);
        }
    }

    /// <summary>
    /// Under the worker's flock, and only if the lock's own reader still refuses it, renames it aside (a directory or
    /// symlink too). What cannot be done is reported for that lock; the rest of the run goes on.
    /// </summary>
    private static async Task<string> MoveAsideDamagedLockAsync(string lockPath, CancellationToken cancellationToken)
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

    private static async Task CheckStoreAsync(string root, Report report, CancellationToken cancellationToken)
    {
        var files = new FileReservationPersistence(root, TimeProvider.System, new ReservationStoreOptions().LockTimeout);
        if (Native.StatNoFollow(files.ReservationsDirectory) is not { } directory)
        {
            return;
        }

        if (!directory.IsDirectory)
        {
            report.Add("damaged-store-file", files.ReservationsDirectory, $"must be a directory but is {directory.Kind}",
                "left: move it aside by hand", repair: "move it aside by hand");
            return;
        }

        // beadboard's mutex left by a crashed process: every later call would wait on it.
        var mutex = await StoreMutex.InspectAsync(files.LockPath, removeStale: report.Fix, cancellationToken).ConfigureAwait(false);
        if (mutex.Verdict is LockVerdict.Stale or LockVerdict.RemovedStale)
        {
            report.Add("orphaned-mutex", files.LockPath, $"left behind by {mutex.Holder}, which is gone",
                mutex.Verdict == LockVerdict.RemovedStale ? "removed" : null);
        }

        if (mutex.Verdict == LockVerdict.Stale)
        {
            // Reading the store takes the mutex, which removes the orphan; without --fix doctor changes nothing.
            report.NotChecked.Add("store files and expired reservations: not read while the orphaned mutex is in place");
            return;
        }

        var damaged = await files.FindDamagedAsync(cancellationToken).ConfigureAwait(false);
        foreach (var file in damaged)
        {
            report.Add("damaged-store-file", file.Path, file.Reason,
                report.Fix ? await MoveAsideAsync(files, file.Path, cancellationToken).ConfigureAwait(false) : null);
        }

        if (damaged.Count > 0 && !report.Fix)
        {
            report.NotChecked.Add("expired reservations: the store cannot be read while a file of it is damaged");
            return;
        }

        // A decision that changes nothing: the store reads and checks everything under its mutex, writes nothing.
        var expired = await files.UpdateAsync(
            withHistory: false,
            ledger => ledger.Expired(),
            cancellationToken).ConfigureAwait(false);
        if (report.Fix && expired.Count > 0)
        {
            // The store's own status call sweeps expired reservations into the history.
            await new FileReservationStore(root).GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var r in expired)
        {
            report.AddExpired(files.ActivePath, r);
        }
    }

    private static async Task<string> MoveAsideAsync(FileReservationPersistence files, string path, CancellationToken cancellationToken)
    {
        if (await files.RepairIfDamagedAsync(path, cancellationToken).ConfigureAwait(false) is not { } done)
        {
            return "left: it is readable now";
        }

        // Without its file the agent is unknown to the store: its reserve calls fail until it registers again.
        var again = Path.GetDirectoryName(path) == files.AgentsDirectory && done.StartsWith("moved", StringComparison.Ordinal)
            ? $"; register it again: agentlocks agent register --agent {Path.GetFileNameWithoutExtension(path)}"
            : string.Empty;
        return done + again;
    }

    private static string LockPath(string worker) => new LockFile(worker).LockPath;

    /// <summary>The human answer of either backend's doctor: what it looked at, what it could not, and the findings as a table.</summary>
    internal static string Human(Report report, string lookedAt)
    {
        var text = new StringBuilder(lookedAt).AppendLine();
        foreach (var skipped in report.NotChecked)
        {
            text.Append("not checked: ").AppendLine(skipped);
        }

        if (report.Findings.Count == 0)
        {
            return text.Append("healthy: nothing to repair").ToString();
        }

        var rows = report.Findings.Select(f => (IReadOnlyList<Cell>)[f.Kind, f.Path, f.Detail, f.Action ?? f.Repair]).ToList();
        text.Append(TextTable.Render(["problem", "path", "detail", report.Fix ? "done" : "repair"], rows, TextTable.UseColor)).AppendLine();

        return text.Append(CultureInfo.InvariantCulture, $"{report.Findings.Count} problem(s){(report.Fix ? "; repaired what is safe to repair" : "")}").ToString();
    }

    /// <summary>What the doctor found, and what it could not check.</summary>
    internal sealed class Report(bool fix)
    {
        public bool Fix { get; } = fix;

        public List<Finding> Findings { get; } = [];

        public List<string> NotChecked { get; } = [];

        /// <summary>
        /// Adds a finding; <paramref name="actionWhenFixing"/> is what <c>--fix</c> did, and is dropped without it;
        /// <paramref name="repair"/> says how it is repaired.
        /// </summary>
        public void Add(string kind, string path, string detail, string? actionWhenFixing, string repair = "run doctor --fix")
            => Findings.Add(new Finding(kind, path, detail, Fix ? actionWhenFixing : null, repair));

        /// <summary>An expired reservation at <paramref name="path"/>, which <c>--fix</c> sweeps into the history.</summary>
        public void AddExpired(string path, Reservation r)
            => Add("expired-reservation", path,
                $"{r.Scope} by {r.AgentId} for {r.BeadId} expired at {r.ExpiresAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}",
                "swept into the history as expired");

        /// <summary>The envelope's <c>data</c>: <paramref name="where"/> (what was looked at), then the verdict and the findings.</summary>
        public JsonObject ToJson(JsonObject where)
        {
            where["fix"] = Fix;
            where["healthy"] = Findings.Count == 0;
            where["findings"] = new JsonArray([.. Findings.Select(f => (JsonNode)f.ToJson())]);
            where["not_checked"] = new JsonArray([.. NotChecked.Select(n => (JsonNode?)JsonValue.Create(n))]);
            return where;
        }
    }

    /// <summary>One problem: what, where, why, what <c>--fix</c> did (null without <c>--fix</c>), and how it is repaired.</summary>
    internal sealed record Finding(string Kind, string Path, string Detail, string? Action, string Repair)
    {
        public JsonObject ToJson() => new()
        {
            ["kind"] = Kind,
            ["path"] = Path,
            ["detail"] = Detail,
            ["action"] = Action,
            ["repair"] = Repair,
        };
    }
}
