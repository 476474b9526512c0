using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AgentLocks.Postgres;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// The <c>lock ...</c> commands with <c>--postgres</c>: the same names, exit codes and JSON fields as on files, over
/// the PostgreSQL worker locks. A worker is named by its id (<c>--worker polecat-1</c>), the same on every machine
/// of the swarm, not by a directory; <c>--under PREFIX</c> picks the workers whose id starts with PREFIX (all when
/// omitted). A lock lives as long as its server connection: <c>lock exec</c> holds it itself, <c>lock acquire</c>
/// leaves a keeper process holding it until the holder PID exits or <c>lock release</c> ends it.
/// </summary>
internal static class PostgresLockCommands
{
    public static IReadOnlyDictionary<string, Func<CommandContext, CancellationToken, Task<CommandResult>>> ByName { get; } =
        new Dictionary<string, Func<CommandContext, CancellationToken, Task<CommandResult>>>(StringComparer.Ordinal)
        {
            ["lock acquire"] = AcquireAsync,
            ["lock exec"] = ExecAsync,
            ["lock release"] = ReleaseAsync,
            ["lock status"] = StatusAsync,
            ["lock list"] = ListAsync,
            ["lock clean"] = CleanAsync,
            ["lock collisions"] = CollisionsAsync,
        };

    /// <summary>The state's wire name, as the file commands print theirs.</summary>
    public static string WireName(PostgresWorkerLockState state) => state switch
    {
        PostgresWorkerLockState.Locked => "locked",
        PostgresWorkerLockState.Stale => "stale",
        _ => "unlocked",
    };

    /// <summary>A status as the envelope's data: gastown's holder fields, the reason, and the server backend holding it.</summary>
    public static JsonObject StatusJson(PostgresWorkerLockStatus status) => new()
    {
        ["worker"] = status.Worker.Value,
        ["state"] = WireName(status.State),
        ["reason"] = status.State switch
        {
            PostgresWorkerLockState.Locked => $"held by process {status.Pid} on {status.Hostname} through server backend {status.BackendPid}",
            PostgresWorkerLockState.Stale => $"the connection of process {status.Pid} on {status.Hostname} is gone (it or its machine died)",
            _ => "no holder",
        },
        ["pid"] = status.Pid,
        ["acquired_at"] = status.AcquiredAt is { } at ? UtcTimestampJsonConverter.Text(at) : null,
        ["session_id"] = status.Session?.Value,
        ["hostname"] = status.Hostname,
        ["backend_pid"] = status.BackendPid,
    };

    /// <summary>The worker id of <c>--worker</c>; a directory is refused with the id it probably meant.</summary>
    public static WorkerId Worker(CommandContext context)
    {
        var text = context.Required("worker");
        if (WorkerId.TryParse(text, out var worker))
        {
            return worker;
        }

        var name = Path.GetFileName(text.TrimEnd('/'));
        throw CommandLine.Invalid(
            $"With --postgres, --worker names a worker id shared by every machine (letters, digits, '.', '_', '-'), not a directory: '{text}'."
            + (WorkerId.TryParse(name, out _) ? $" Did you mean --worker {name}?" : ""));
    }

    private static async Task<CommandResult> AcquireAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var worker = Worker(context);
        var pid = LockCommands.HolderPid(context);
        var (data, keeper) = await PostgresLockKeeper.StartAsync(context.Postgres!, worker, context.Optional<SessionId>("session"), pid, cancellationToken).ConfigureAwait(false);
        data["keeper_pid"] = keeper;
        return new CommandResult(data, $"locked {worker} for process {pid} (process {keeper} holds the server connection until process {pid} exits)");
    }

    /// <summary>
    /// A keeper holds the lock for the command's own process (see <see cref="GatedCommand"/>), as for <c>lock acquire</c>,
    /// so killing this process, even with SIGKILL, never frees the worker while the command runs.
    /// </summary>
    private static async Task<CommandResult> ExecAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var command = LockCommands.ExecCommand(context);
        var worker = Worker(context);
        var session = context.Optional<SessionId>("session");
        using var gated = GatedCommand.Start(command, context.Json);
        await PostgresLockKeeper.StartAsync(context.Postgres!, worker, session, gated.Pid, cancellationToken).ConfigureAwait(false);
        try
        {
            return await gated.RunAsync(worker.Value, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // The keeper would notice the exit within a second; ending it now frees the worker before we return.
            try
            {
                await Backends.OpenPostgresLocks(context).ReleaseHeldByAsync(worker, gated.Pid, CancellationToken.None).ConfigureAwait(false);
            }
            catch (AgentLocksException e) when (e.Code == ErrorCode.NotLocked)
            {
                // The keeper was first.
            }
        }
    }

    private static async Task<CommandResult> ReleaseAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var worker = Worker(context);
        var force = LockCommands.Force(context);
        var locks = Backends.OpenPostgresLocks(context);
        PostgresWorkerLockStatus? removed;
        if (force)
        {
            var before = await locks.GetStatusAsync(worker, cancellationToken).ConfigureAwait(false);
            removed = await locks.ForceReleaseAsync(worker, cancellationToken).ConfigureAwait(false) ? before : null;
        }
        else
        {
            removed = await locks.ReleaseHeldByAsync(worker, LockCommands.HolderPid(context), cancellationToken).ConfigureAwait(false);
        }

        var data = new JsonObject
        {
            ["worker"] = worker.Value,
            ["released"] = removed is not null,
            ["forced"] = force,
            ["removed"] = removed is null ? null : StatusJson(removed),
        };
        var human = removed is null
            ? $"{worker} was not locked"
            : $"released {worker} (was {WireName(removed.State)}, process {removed.Pid}, host {removed.Hostname})";
        return new CommandResult(data, human);
    }

    private static async Task<CommandResult> StatusAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var status = await Backends.OpenPostgresLocks(context).GetStatusAsync(Worker(context), cancellationToken).ConfigureAwait(false);
        var data = StatusJson(status);
        var human = status.State == PostgresWorkerLockState.Unlocked
            ? "unlocked"
            : $"{data["state"]}: {data["reason"]}; pid {status.Pid}, session {status.Session?.Value ?? "-"}, host {status.Hostname}, acquired {data["acquired_at"]}";
        return new CommandResult(data, human);
    }

    private static async Task<CommandResult> ListAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var locks = await Backends.OpenPostgresLocks(context).ListAsync(context.Optional("under"), cancellationToken).ConfigureAwait(false);
        var data = new JsonObject
        {
            ["locks"] = new JsonArray([.. locks.Select(s => (JsonNode)StatusJson(s))]),
            ["problems"] = new JsonArray(),
        };
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{"STATE",-9} {"PID",-8} {"SESSION",-19} {"HOST",-15} {"BACKEND",-8} WORKER");
        foreach (var s in locks)
        {
            text.AppendLine().Append(CultureInfo.InvariantCulture, $"{WireName(s.State),-9} {s.Pid,-8} {s.Session?.Value ?? "-",-19} {s.Hostname,-15} {s.BackendPid,-8} {s.Worker}");
        }

        return new CommandResult(data, text.ToString());
    }

    private static async Task<CommandResult> CleanAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var removed = await Backends.OpenPostgresLocks(context).CleanStaleAsync(context.Optional("under"), cancellationToken).ConfigureAwait(false);
        var data = new JsonObject
        {
            ["cleaned"] = removed.Count,
            ["removed"] = new JsonArray([.. removed.Select(s => (JsonNode)StatusJson(s))]),
            ["problems"] = new JsonArray(),
        };
        var human = new StringBuilder($"cleaned {removed.Count} stale lock(s)");
        foreach (var s in removed)
        {
            human.AppendLine().Append("  ").Append(s.Worker.Value).Append(": ").Append(StatusJson(s)["reason"]);
        }

        return new CommandResult(data, human.ToString());
    }

    /// <summary>The stale locks and the orphaned ones (see <see cref="FindCollisionsAsync"/>) under <c>--under</c>.</summary>
    private static async Task<CommandResult> CollisionsAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var sockets = (context.TmuxSockets() ?? [null]).Distinct().ToList();
        var locks = await Backends.OpenPostgresLocks(context).ListAsync(context.Optional("under"), cancellationToken).ConfigureAwait(false);
        var collisions = new JsonArray();
        var human = new StringBuilder();
        foreach (var collision in await FindCollisionsAsync(locks, sockets, cancellationToken).ConfigureAwait(false))
        {
            var item = StatusJson(collision.Status);
            item["kind"] = collision.Kind.ToWireName();
            item["message"] = collision.Message;
            collisions.Add((JsonNode)item);
            human.AppendLine().Append("  ").Append(collision.Message);
        }

        var data = new JsonObject
        {
            ["collisions"] = collisions,
            ["problems"] = new JsonArray(),
            ["tmux_sockets"] = new JsonArray([.. sockets.Select(s => (JsonNode?)JsonValue.Create(s ?? "default"))]),
        };
        return new CommandResult(data, $"{collisions.Count} collision(s){human}");
    }

    /// <summary>
    /// Of <paramref name="locks"/>: the stale ones, and those held from this machine whose tmux session is on none of
    /// <paramref name="sockets"/> (null: the default server). tmux is asked only when such a lock names a session;
    /// other machines' tmux servers cannot be asked, so their live locks are not judged. <c>INTERNAL_ERROR</c> when
    /// tmux cannot be run.
    /// </summary>
    public static async Task<IReadOnlyList<PostgresLockCollision>> FindCollisionsAsync(
        IReadOnlyList<PostgresWorkerLockStatus> locks, IReadOnlyList<string?> sockets, CancellationToken cancellationToken)
    {
        TmuxTargets? live = null;
        var collisions = new List<PostgresLockCollision>();
        foreach (var status in locks)
        {
            if (status.State == PostgresWorkerLockState.Stale)
            {
                collisions.Add(new(status, WorkerLockCollisionKind.Stale, $"stale lock of {status.Worker}: {StatusJson(status)["reason"]}"));
            }
            else if (status is { State: PostgresWorkerLockState.Locked, Session: { } session } && status.Hostname == Environment.MachineName)
            {
                live ??= await LiveTmuxAsync(sockets, cancellationToken).ConfigureAwait(false);
                if (!live.Contains(session))
                {
                    collisions.Add(new(status, WorkerLockCollisionKind.SessionNotFound,
                        $"orphaned lock of {status.Worker}: tmux {session} is not live, process {status.Pid} still holds the lock"));
                }
            }
        }

        return collisions;
    }

    private static async Task<TmuxTargets> LiveTmuxAsync(IReadOnlyList<string?> sockets, CancellationToken cancellationToken)
    {
        var live = new TmuxTargets();
        foreach (var socket in sockets)
        {
            live.AddAll(await LockEnvironment.Default.Tmux.ListAsync(socket, cancellationToken).ConfigureAwait(false));
        }

        return live;
    }
}

/// <summary>A PostgreSQL worker lock that <c>lock collisions</c> and <c>doctor</c> report: the holder, why, and what to say.</summary>
internal sealed record PostgresLockCollision(PostgresWorkerLockStatus Status, WorkerLockCollisionKind Kind, string Message);
