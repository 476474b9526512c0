using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// The <c>lock ...</c> commands of cli.md: worker identity locks, written once against
/// <see cref="IWorkerIdentityLocks"/>. On files a worker is a directory and <c>--under</c> a directory to search; with
/// <c>--postgres</c> a worker is an id shared by every machine and <c>--under</c> an id prefix (all when omitted).
/// </summary>
internal static class LockCommands
{
    public static CommandSpec[] All { get; } =
    [
        new(["lock", "acquire"], "lock acquire", "lock acquire --worker DIR [--session ID] [--pid PID]", ["worker", "session", "pid"], [], AcquireAsync),
        new(["lock", "exec"], "lock exec", "lock exec --worker DIR [--session ID] -- CMD [ARG...]", ["worker", "session"], [], ExecAsync),
        new(["lock", "release"], "lock release", "lock release --worker DIR [--force] [--pid PID]", ["worker", "pid"], ["force"], ReleaseAsync),
        new(["lock", "status"], "lock status", "lock status --worker DIR", ["worker"], [], StatusAsync),
        new(["lock", "list"], "lock list", "lock list --under DIR", ["under"], [], ListAsync),
        new(["lock", "clean"], "lock clean", "lock clean --under DIR", ["under"], [], CleanAsync),
        new(["lock", "collisions"], "lock collisions", "lock collisions --under DIR [--tmux-socket NAME[,NAME...]]", ["under", "tmux-socket"], [], CollisionsAsync),
    ];

    /// <summary>
    /// The holder when no --pid is given: the process that ran agentlocks (a shell, an agent), not this short-lived
    /// command, whose lock would be stale the moment it exits.
    /// </summary>
    private static int HolderPid(CommandContext context)
    {
        var text = context.Optional("pid");
        if (text is null)
        {
            return Native.ParentProcessId();
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
            ? pid
            : throw CommandLine.Invalid($"--pid must be a positive process id, not '{text}'.");
    }

    private static async Task<CommandResult> AcquireAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var workerLock = Backends.OpenWorkerLock(context);
        var request = new WorkerLockRequest { HolderPid = HolderPid(context), Session = context.Optional<SessionId>("session") };

        // The lock outlives this command by design: the holder is another process, so the handle is not disposed.
        var (held, data) = await Backends.HoldForAsync(context, workerLock, request, cancellationToken).ConfigureAwait(false);
        LeftHeld.OnPurpose(held);
        var human = $"locked {workerLock.Worker} for process {request.HolderPid}"
            + (data["took_over"] is JsonObject stale ? $" (replaced a stale lock: {stale["reason"]})" : string.Empty)
            + (data["keeper_pid"] is { } keeper ? $" (process {keeper} holds the server connection until process {request.HolderPid} exits)" : string.Empty);
        return new CommandResult(data, human);
    }

    /// <summary>The envelope's data of a lock just taken: its status, and the stale lock it replaced.</summary>
    internal static JsonObject AcquiredJson(WorkerLockHandle held, WorkerLockStatus status)
    {
        var data = StatusJson(status);
        data["took_over"] = held.TookOver is { } old ? StatusJson(old) : null;
        return data;
    }

    /// <summary>
    /// The lock names the command's own process as its holder (see <see cref="GatedCommand"/>), so killing this
    /// process, even with SIGKILL, never frees the worker while the command runs.
    /// </summary>
    private static async Task<CommandResult> ExecAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var command = ExecCommand(context);
        var workerLock = Backends.OpenWorkerLock(context);
        var session = context.Optional<SessionId>("session");
        using var gated = GatedCommand.Start(command, context.Json);
        var (held, _) = await Backends.HoldForAsync(context, workerLock, new WorkerLockRequest { HolderPid = gated.Pid, Session = session }, cancellationToken).ConfigureAwait(false);
        await using (held.ConfigureAwait(false))
        {
            return await gated.RunAsync(workerLock.Worker, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The command of <c>lock exec</c>: what follows <c>--</c>.</summary>
    private static IReadOnlyList<string> ExecCommand(CommandContext context)
        => context.Line.Rest.Count > 0
            ? context.Line.Rest
            : throw CommandLine.Invalid("lock exec needs a command after '--'. Usage: agentlocks lock exec --worker DIR [--session ID] -- CMD [ARG...]");

    private static async Task<CommandResult> ReleaseAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var workerLock = Backends.OpenWorkerLock(context);
        var force = Force(context);

        WorkerLockStatus? removed;
        if (force)
        {
            removed = await workerLock.ForceReleaseAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var holder = await workerLock.ReleaseAsync(HolderPid(context), cancellationToken).ConfigureAwait(false);
            removed = new WorkerLockStatus(workerLock.Worker, WorkerLockState.Locked, holder, null, $"held by process {holder.Pid}");
        }

        var data = new JsonObject
        {
            ["worker"] = workerLock.Worker,
            ["released"] = removed is not null,
            ["forced"] = force,
            ["removed"] = removed is null ? null : StatusJson(removed),
        };
        var human = removed switch
        {
            null => $"{workerLock.Worker} was not locked",
            { Holder: null } => $"released {workerLock.Worker} (removed a damaged lock file)",
            _ => $"released {workerLock.Worker} (was {removed.State.ToWireName()}, process {removed.Holder.Pid}, host {removed.Holder.HostName ?? "unknown"})",
        };
        return new CommandResult(data, human);
    }

    private static async Task<CommandResult> StatusAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var status = await Backends.OpenWorkerLock(context).GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var human = status.Holder is { } holder
            ? $"{status.State.ToWireName()}: {status.Reason}; pid {holder.Pid}, session {holder.Session?.ToString() ?? "-"}, host {holder.HostName ?? "-"}, acquired {UtcTimestampJsonConverter.Text(holder.AcquiredAt)}"
            : "unlocked";
        return new CommandResult(StatusJson(status), human);
    }

    private static async Task<CommandResult> ListAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var scan = await Backends.OpenWorkerLocks(context).FindAllAsync(context.Optional("under"), cancellationToken).ConfigureAwait(false);
        var data = new JsonObject
        {
            ["locks"] = new JsonArray([.. scan.Locks.Select(s => (JsonNode)StatusJson(s))]),
            ["problems"] = ProblemsJson(scan.Problems),
        };
        return new CommandResult(data, Table(scan.Locks, scan.Problems));
    }

    private static async Task<CommandResult> CleanAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var result = await Backends.OpenWorkerLocks(context).CleanStaleAsync(context.Optional("under"), cancellationToken).ConfigureAwait(false);
        var data = new JsonObject
        {
            ["cleaned"] = result.Cleaned.Count,
            ["removed"] = new JsonArray([.. result.Cleaned.Select(s => (JsonNode)StatusJson(s))]),
            ["problems"] = ProblemsJson(result.Problems),
        };
        var human = new StringBuilder($"cleaned {result.Cleaned.Count} stale lock(s)");
        foreach (var removed in result.Cleaned)
        {
            human.AppendLine().Append("  ").Append(removed.Worker).Append(": ").Append(removed.Reason);
        }

        AppendProblems(human, result.Problems);
        return new CommandResult(data, human.ToString());
    }

    private static async Task<CommandResult> CollisionsAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var report = await Backends.OpenWorkerLocks(context).DetectCollisionsAsync(context.Optional("under"), context.TmuxSockets(), cancellationToken).ConfigureAwait(false);
        var data = new JsonObject
        {
            ["collisions"] = new JsonArray([.. report.Collisions.Select(c =>
            {
                var item = StatusJson(c.Status);
                item["kind"] = c.Kind.ToWireName();
                item["message"] = c.Message;
                return (JsonNode)item;
            })]),
            ["problems"] = ProblemsJson(report.Problems),
            ["tmux_sockets"] = new JsonArray([.. report.Sockets.Select(s => (JsonNode?)JsonValue.Create(s ?? "default"))]),
        };
        var human = new StringBuilder($"{report.Collisions.Count} collision(s)");
        foreach (var collision in report.Collisions)
        {
            human.AppendLine().Append("  ").Append(collision.Message);
        }

        AppendProblems(human, report.Problems);
        return new CommandResult(data, human.ToString());
    }

    /// <summary>Whether <c>lock release</c> was given <c>--force</c>, which excludes <c>--pid</c>.</summary>
    private static bool Force(CommandContext context)
        => context.Flag("force") && context.Optional("pid") is not null
            ? throw CommandLine.Invalid("--pid and --force exclude each other: --force releases whoever holds the lock.")
            : context.Flag("force");

    /// <summary>A status as the envelope's data: the state, the holder's fields under gastown's names (and the server backend on PostgreSQL), and the age.</summary>
    private static JsonObject StatusJson(WorkerLockStatus status)
    {
        var holder = status.Holder;
        return new JsonObject
        {
            ["worker"] = status.Worker,
            ["state"] = status.State.ToWireName(),
            ["reason"] = status.Reason,
            ["pid"] = holder?.Pid,
            ["acquired_at"] = holder is null ? null : UtcTimestampJsonConverter.Text(holder.AcquiredAt),
            ["session_id"] = holder?.Session?.Value,
            ["hostname"] = holder?.HostName,
            ["process_start_time"] = holder?.ProcessStartTime,
            ["boot_id"] = holder?.BootId,
            ["backend_pid"] = holder?.BackendPid,
            ["age_seconds"] = status.Age is { } age ? Math.Round(age.TotalSeconds, 3) : null,
        };
    }

    private static JsonArray ProblemsJson(IReadOnlyList<WorkerLockProblem> problems)
        => new([.. problems.Select(p => (JsonNode)new JsonObject
        {
            ["path"] = p.Path,
            ["code"] = p.Code.ToWireName(),
            ["message"] = p.Message,
        })]);

    private static string Table(IReadOnlyList<WorkerLockStatus> locks, IReadOnlyList<WorkerLockProblem> problems)
    {
        var text = new StringBuilder();
        // A space after each padded column keeps long values apart.
        text.Append(CultureInfo.InvariantCulture, $"{"STATE",-12} {"PID",-8} {"SESSION",-19} {"HOST",-15} WORKER");
        foreach (var s in locks)
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"{s.State.ToWireName(),-12} {s.Holder?.Pid,-8} {s.Holder?.Session?.Value ?? "-",-19} {s.Holder?.HostName ?? "-",-15} {s.Worker}");
        }

        AppendProblems(text, problems);
        return text.ToString();
    }

    private static void AppendProblems(StringBuilder text, IReadOnlyList<WorkerLockProblem> problems)
    {
        foreach (var problem in problems)
        {
            text.AppendLine().Append("problem: ").Append(problem.Code.ToWireName()).Append(' ').Append(problem.Message);
        }
    }
}
