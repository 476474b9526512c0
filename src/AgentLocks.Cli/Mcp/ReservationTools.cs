using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AgentLocks.Cli.Commands;
using ModelContextProtocol.Protocol;

namespace AgentLocks.Cli.Mcp;

/// <summary>
/// The tools of <c>agentlocks mcp</c>. Each parses its arguments, calls the store that every other client uses,
/// and answers in <see cref="ToolAnswer"/>'s shape; every rule (TTL bounds, overlap, ownership) is the store's.
/// </summary>
internal sealed class ReservationTools(McpAgent agent, TimeProvider time)
{
    /// <summary>How many paths one call may name: enough for any edit, few enough to keep an answer readable.</summary>
    private const int MaxPaths = 100;

    private const string PathsItems = """{"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "maxItems": 100""";

    private const string TtlProperty = "\"ttl_minutes\": {\"type\": \"integer\", \"minimum\": 5, \"maximum\": 1440, \"description\": \"Lease length in whole minutes (5 to 1440). Default 120.\"}";

    public IReadOnlyList<McpTool> All =>
    [
        new("register",
            "Tell the lock store who you are. Call it once at the start of a session, before reserving, unless the server "
            + "was started with --agent (then it is optional). The id is lower-case words joined by single dashes, 3 to 48 "
            + "characters (for example 'auth-refactorer'); use the same id in every session so your reservations stay yours.",
            """
            {"type": "object", "properties": {
              "agent": {"type": "string", "minLength": 3, "maxLength": 48, "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "description": "Your agent id."},
              "role": {"type": "string", "description": "What you do, such as 'backend'. Optional."},
              "display_name": {"type": "string", "description": "A name for people. Optional."}
            }, "additionalProperties": false}
            """,
            ReadOnly: false,
            RegisterAsync),
        new("reserve",
            "Reserve files or directories before you edit them, so other agents do not edit them at the same time. Pass "
            + "every path or glob you will touch in one call: you get all of them or none. A directory path covers "
            + "everything below it; globs such as 'src/auth/**' or 'docs/*.md' work. Use mode 'shared' only for reading. "
            + "Reserving a path you already hold refreshes it. If another agent holds an overlapping path, the call fails "
            + "with RESERVATION_CONFLICT naming the holder, its bead and when its lease ends: do not edit those files; "
            + "work on something else, or call again with wait_seconds to wait for it. RESERVATION_STALE_FOUND means an "
            + "expired reservation is in the way: call again with takeover_stale true.",
            $$"""
            {"type": "object", "properties": {
              "paths": {{PathsItems}}, "description": "Paths or globs, relative to the repository root or absolute under it."},
              "bead": {"type": "string", "minLength": 1, "maxLength": 128, "description": "The issue or task id the work is for, such as 'bd-42'."},
              "reason": {"type": "string", "description": "What you are doing with these files, in a few words, for other agents and people who find them held. Optional."},
              "mode": {"type": "string", "enum": ["exclusive", "shared"], "description": "exclusive (default) to edit; shared to read alongside others who also share."},
              {{TtlProperty}},
              "takeover_stale": {"type": "boolean", "description": "Take over reservations whose lease has already expired. Default false."},
              "wait_seconds": {"type": "integer", "minimum": 0, "maximum": 3600, "description": "When another agent holds a path, wait up to this many seconds for it to be released or to lapse instead of failing at once. Default 0. Keep it below your client's tool-call timeout."}
            }, "required": ["paths", "bead"], "additionalProperties": false}
            """,
            ReadOnly: false,
            ReserveAsync),
        new("release",
            "Release your reservations when you have finished with the files (committed or abandoned the change), so others "
            + "can take them. Name the paths exactly as you reserved them, or pass all true to release every reservation you "
            + "hold. Releasing a path you do not hold fails with RESERVATION_NOT_FOUND; call status to see yours.",
            $$"""
            {"type": "object", "properties": {
              "paths": {{PathsItems}}, "description": "The scopes to release, as reserved."},
              "all": {"type": "boolean", "description": "Release every reservation you hold."}
            }, "additionalProperties": false}
            """,
            ReadOnly: false,
            ReleaseAsync),
        new("renew",
            "Extend the lease of reservations you still need, before it ends (status shows expires_in_seconds). Name the "
            + "paths exactly as reserved, or pass all true. A lease that already ended cannot be renewed: reserve again.",
            $$"""
            {"type": "object", "properties": {
              "paths": {{PathsItems}}, "description": "The scopes to renew, as reserved."},
              "all": {"type": "boolean", "description": "Renew every reservation you hold."},
              {{TtlProperty}}
            }, "additionalProperties": false}
            """,
            ReadOnly: false,
            RenewAsync),
        new("touch",
            "Call after you edit files, with their paths: every reservation of yours that covers one of them and has less "
            + "than half of its lease left is renewed, so work in progress never loses its lease. It is cheap to call "
            + "often; it never reserves anything new and never fails because a path is not reserved.",
            $$"""
            {"type": "object", "properties": {
              "paths": {{PathsItems}}, "description": "Files you just worked on."},
              {{TtlProperty}}
            }, "required": ["paths"], "additionalProperties": false}
            """,
            ReadOnly: false,
            TouchAsync),
        new("status",
            "List active reservations (who holds what, for which bead, until when), filtered by agent, bead or path, plus "
            + "counts. Call it to see what you hold or what others are working on.",
            """
            {"type": "object", "properties": {
              "agent": {"type": "string", "description": "Only this agent's reservations; 'me' for yours."},
              "bead": {"type": "string", "description": "Only reservations for this bead."},
              "path": {"type": "string", "description": "Only reservations that overlap this path or glob."}
            }, "additionalProperties": false}
            """,
            ReadOnly: true,
            StatusAsync),
        new("who_holds",
            "Ask, before editing, whether paths are free, yours, or held by another agent, and by whom. It reserves nothing. "
            + "For a path held by another agent exclusively, do not edit it.",
            $$"""
            {"type": "object", "properties": {
              "paths": {{PathsItems}}, "description": "Paths or globs to ask about."}
            }, "required": ["paths"], "additionalProperties": false}
            """,
            ReadOnly: true,
            WhoHoldsAsync),
        new("messages",
            "Your messages that still need an acknowledgement (for example a notice that a reservation of yours was taken "
            + "over). Read them at the start of a session and after a reservation fails unexpectedly; call ack with a message's "
            + "message_id once you have acted on it.",
            """{"type": "object", "properties": {}, "additionalProperties": false}""",
            ReadOnly: true,
            MessagesAsync),
        new("ack",
            "Acknowledge one of your messages once you have read it and acted on it (for example a notice that a "
            + "reservation of yours was taken over: stop editing those files, reserve them again if you still need them). "
            + "Name it by the message_id that messages shows; it then stops appearing there. An id that is not one of your "
            + "messages fails with MESSAGE_NOT_FOUND.",
            """
            {"type": "object", "properties": {
              "message_id": {"type": "string", "minLength": 1, "description": "The message_id of the message, as messages shows it."}
            }, "required": ["message_id"], "additionalProperties": false}
            """,
            ReadOnly: false,
            AckAsync),
    ];

    private async Task<CallToolResult> RegisterAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var id = args.Id<AgentId>("agent") ?? agent.Fixed ?? throw ToolArguments.Invalid("'agent' is required: the server was started without --agent.");
        var registration = new AgentRegistration(args.String("role"), args.String("display_name"));
        agent.Name(id);
        var record = await agent.Store.RegisterAgentAsync(id, registration, cancellationToken).ConfigureAwait(false);
        agent.Registered();
        var data = new JsonObject
        {
            ["agent"] = System.Text.Json.JsonSerializer.SerializeToNode(record, AgentLocksJsonContext.Default.AgentRecord),
        };
        return ToolAnswer.Success($"You are agent {record.AgentId}.", data);
    }

    private async Task<CallToolResult> ReserveAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var scopes = Scopes(args.Strings("paths", MaxPaths)) ?? throw ToolArguments.Invalid("'paths' is required.");
        var bead = args.RequiredId<BeadId>("bead");
        var mode = ReservationWireNames.ParseMode(args.Choice("mode", ReservationWireNames.Modes));
        var ttl = Minutes(args.Integer("ttl_minutes", 5, 1440));
        var takeover = args.Boolean("takeover_stale");
        var reason = args.String("reason");
        var wait = TimeSpan.FromSeconds(args.Integer("wait_seconds", 0, 3600) ?? 0);
        var me = await agent.CurrentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The reservations outlive this call (until their TTL or a release), like `agentlocks reserve`; the
            // handles' lease monitors stop by themselves once the lease is released or lapses.
            var requests = scopes.Select(s => new ReservationRequest(me, s, bead, ttl) { Mode = mode, TakeoverStale = takeover, Reason = reason }).ToList();
            var held = await ReserveOrWaitAsync(requests, wait, args, cancellationToken).ConfigureAwait(false);
            LeftHeld.OnPurpose(held);
            var granted = held.Handles.Select(h => h.Reservation).ToList();
            var text = new StringBuilder($"Reserved {granted.Count} scope(s) for bead {bead} ({mode.ToWireName()}):");
            foreach (var r in granted)
            {
                text.AppendLine().Append(CultureInfo.InvariantCulture, $"  {r.Scope} until {Time(r.ExpiresAt)}");
            }

            return ToolAnswer.Success(text.ToString(), new JsonObject { ["reservations"] = Array(granted, Reservation) });
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.ReservationConflict)
        {
            return await ConflictAsync(e.Error, me, scopes, mode, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reserves at once; when that conflicts and the model asked to wait, says so (as progress: the client sees the
    /// call is waiting, not stuck) and waits in the store, which wakes on the change. A client that leaves cancels
    /// the wait, and nothing is held.
    /// </summary>
    private async Task<ReservationSetHandle> ReserveOrWaitAsync(List<ReservationRequest> requests, TimeSpan wait, ToolArguments args, CancellationToken cancellationToken)
    {
        try
        {
            return await agent.Store.ReserveAllAsync(requests, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.ReservationConflict && wait > TimeSpan.Zero)
        {
            await args.ReportProgressAsync($"Waiting up to {wait.TotalSeconds:0} s: {e.Message}", cancellationToken).ConfigureAwait(false);
            return await agent.Store.ReserveAllAsync(requests.Select(r => r with { Wait = wait }), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A conflict, with every reservation in the way: the store's message names one, the model needs them all.</summary>
    private async Task<CallToolResult> ConflictAsync(AgentLocksError error, AgentId me, IReadOnlyList<ScopePattern> scopes, ReservationMode mode, CancellationToken cancellationToken)
    {
        var status = await agent.Store.GetStatusAsync(null, cancellationToken).ConfigureAwait(false);
        var blocking = status.Reservations
            .Where(r => r.AgentId != me && !(r.Mode == ReservationMode.Shared && mode == ReservationMode.Shared) && scopes.Any(r.Scope.Overlaps))
            .OrderBy(r => r.ExpiresAt)
            .ToList();
        var details = string.Join(Environment.NewLine, blocking.Select(r =>
            $"  held: {r.Scope} by agent {r.AgentId} for bead {r.BeadId} ({r.Mode.ToWireName()}) until {Time(r.ExpiresAt)} ({ReservationCommands.ExpiresIn(r.ExpiresAt - time.GetUtcNow())} left)"
            + (r.Reason is { } reason ? $": {reason}" : string.Empty)));
        string[] next =
        [
            "Do not edit these files while they are held.",
            "Work on something else and try again later, or call reserve again with wait_seconds to wait for them.",
            "If you must have them, ask the holder (or a person) to release them.",
            "Nothing was reserved: a reservation is all-or-nothing, so you may retry with fewer paths.",
        ];
        return ToolAnswer.Error(error, next, details.Length == 0 ? null : details, new JsonObject { ["conflicts"] = Array(blocking, Holder) });
    }

    private Task<CallToolResult> ReleaseAsync(ToolArguments args, CancellationToken cancellationToken)
        => ForEachOwnedAsync(args, "released", (a, scope) => agent.Store.ReleaseAsync(a, scope, cancellationToken), cancellationToken);

    private Task<CallToolResult> RenewAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var ttl = Minutes(args.Integer("ttl_minutes", 5, 1440));
        return ForEachOwnedAsync(args, "renewed", (a, scope) => agent.Store.RenewAsync(a, scope, ttl, cancellationToken), cancellationToken);
    }

    /// <summary>Release or renew: the named scopes or all of the agent's, each on its own; what failed is reported beside what was done.</summary>
    private async Task<CallToolResult> ForEachOwnedAsync(ToolArguments args, string done, Func<AgentId, ScopePattern, Task<Reservation>> operation, CancellationToken cancellationToken)
    {
        var paths = args.Strings("paths", MaxPaths);
        var all = args.Boolean("all");
        if ((paths is null) == !all)
        {
            throw ToolArguments.Invalid("Give either 'paths' (the scopes as you reserved them) or 'all': true.");
        }

        var me = await agent.CurrentAsync(cancellationToken).ConfigureAwait(false);
        var scopes = paths is null
            ? (await MineAsync(cancellationToken).ConfigureAwait(false)).Reservations.Select(r => r.Scope).ToList()
            : Scopes(paths)!;
        var succeeded = new List<Reservation>();
        var failed = new List<(ScopePattern Scope, AgentLocksError Error)>();
        foreach (var scope in scopes)
        {
            try
            {
                succeeded.Add(await operation(me, scope).ConfigureAwait(false));
            }
            catch (AgentLocksException e) when (e.Code is ErrorCode.ReservationNotFound or ErrorCode.ReleaseForbidden)
            {
                failed.Add((scope, e.Error));
            }
        }

        var data = new JsonObject { [done] = Array(succeeded, Reservation) };
        var summary = $"{char.ToUpperInvariant(done[0])}{done[1..]} {succeeded.Count} reservation(s)"
            + string.Concat(succeeded.Select(r => $"{Environment.NewLine}  {r.Scope} (until {Time(r.ExpiresAt)})"));
        if (failed.Count == 0)
        {
            return ToolAnswer.Success(summary, data);
        }

        data["failed"] = new JsonArray([.. failed.Select(f => (JsonNode?)new JsonObject
        {
            ["scope"] = f.Scope.Value,
            ["code"] = f.Error.Code.ToWireName(),
            ["message"] = f.Error.Message,
        })]);
        var details = summary + string.Concat(failed.Select(f => $"{Environment.NewLine}  not {done}: {f.Scope}: {f.Error.Message}"));
        return ToolAnswer.Error(
            failed[0].Error,
            ["Name each scope exactly as you reserved it; call status with agent 'me' to see your reservations.", "A lease that already ended is gone: reserve the paths again if you still need them."],
            details,
            data);
    }

    private async Task<CallToolResult> TouchAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var scopes = Scopes(args.Strings("paths", MaxPaths)) ?? throw ToolArguments.Invalid("'paths' is required.");
        var ttl = Minutes(args.Integer("ttl_minutes", 5, 1440)) ?? ReservationPolicy.Default.DefaultTtl;
        var me = await agent.CurrentAsync(cancellationToken).ConfigureAwait(false);
        var mine = (await MineAsync(cancellationToken).ConfigureAwait(false)).Reservations;
        var now = time.GetUtcNow();
        var renewed = new List<Reservation>();
        foreach (var r in mine.Where(r => scopes.Any(r.Scope.Overlaps) && r.ExpiresAt - now < ttl / 2))
        {
            try
            {
                renewed.Add(await agent.Store.RenewAsync(me, r.Scope, ttl, cancellationToken).ConfigureAwait(false));
            }
            catch (AgentLocksException e) when (e.Code == ErrorCode.ReservationNotFound)
            {
                // It lapsed between the status and the renewal: nothing to extend, which touch does not report as an error.
            }
        }

        var covered = mine.Count(r => scopes.Any(r.Scope.Overlaps));
        var text = covered == 0
            ? "None of these paths is under a reservation of yours; nothing renewed. Reserve them if you are editing them."
            : $"{covered} reservation(s) of yours cover these paths; {renewed.Count} renewed.";
        return ToolAnswer.Success(text, new JsonObject { ["covering"] = covered, ["renewed"] = Array(renewed, Reservation) });
    }

    private async Task<CallToolResult> StatusAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var holder = args.String("agent") is { } name
            ? name == "me" ? await agent.CurrentAsync(cancellationToken).ConfigureAwait(false) : args.RequiredId<AgentId>("agent")
            : (AgentId?)null;
        var query = new StatusQuery { Agent = holder, Bead = args.Id<BeadId>("bead") };
        var path = args.String("path") is { } p ? agent.Scope(p) : (ScopePattern?)null;
        var status = await agent.Store.GetStatusAsync(query, cancellationToken).ConfigureAwait(false);
        var reservations = status.Reservations.Where(r => path is not { } filter || r.Scope.Overlaps(filter)).OrderBy(r => r.ExpiresAt).ToList();
        var text = reservations.Count == 0
            ? "No active reservations match."
            : $"{reservations.Count} active reservation(s):" + string.Concat(reservations.Select(r => Environment.NewLine + "  " + Line(r)));
        var data = new JsonObject
        {
            ["reservations"] = Array(reservations, Holder),
            ["summary"] = System.Text.Json.JsonSerializer.SerializeToNode(status.Summary, AgentLocksJsonContext.Default.StatusSummary),
        };
        return ToolAnswer.Success(text, data);
    }

    private async Task<CallToolResult> WhoHoldsAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var paths = args.Strings("paths", MaxPaths) ?? throw ToolArguments.Invalid("'paths' is required.");
        var scopes = Scopes(paths)!;
        var me = agent.Known;
        var active = (await agent.Store.GetStatusAsync(null, cancellationToken).ConfigureAwait(false)).Reservations;
        var answers = new JsonArray();
        var text = new StringBuilder();
        for (var i = 0; i < scopes.Count; i++)
        {
            var holders = active.Where(r => r.Scope.Overlaps(scopes[i])).OrderBy(r => r.ExpiresAt).ToList();
            var others = holders.Where(r => r.AgentId != me).ToList();
            var verdict = others.Any(r => r.Mode == ReservationMode.Exclusive) ? "held"
                : others.Count > 0 ? "shared"
                : holders.Count > 0 ? "yours"
                : "free";
            answers.Add((JsonNode)new JsonObject { ["path"] = paths[i], ["scope"] = scopes[i].Value, ["verdict"] = verdict, ["holders"] = Array(holders, Holder) });
            text.Append(CultureInfo.InvariantCulture, $"{paths[i]}: {verdict}");
            foreach (var r in holders)
            {
                text.AppendLine().Append("  ").Append(Line(r));
            }

            text.AppendLine();
        }

        return ToolAnswer.Success(text.ToString().TrimEnd(), new JsonObject { ["paths"] = answers });
    }

    private async Task<CallToolResult> MessagesAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var status = await MineAsync(cancellationToken).ConfigureAwait(false);
        var messages = status.UnackedRequiredMessages;
        var text = messages.Count == 0
            ? "No messages await your acknowledgement."
            : $"{messages.Count} message(s) await your acknowledgement:" + string.Concat(messages.Select(m =>
                $"{Environment.NewLine}  {m.MessageId} from {m.FromAgent ?? "-"} (bead {m.BeadId ?? "-"}): {m.Subject}"));
        var data = new JsonObject
        {
            ["messages"] = new JsonArray([.. messages.Select(m => System.Text.Json.JsonSerializer.SerializeToNode(m, AgentLocksJsonContext.Default.AgentMessage))]),
        };
        return ToolAnswer.Success(text, data);
    }

    private async Task<CallToolResult> AckAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        var id = args.RequiredString("message_id");
        var me = await agent.CurrentAsync(cancellationToken).ConfigureAwait(false);
        var message = await agent.Store.AcknowledgeMessageAsync(me, id, cancellationToken).ConfigureAwait(false);
        var data = new JsonObject { ["message"] = System.Text.Json.JsonSerializer.SerializeToNode(message, AgentLocksJsonContext.Default.AgentMessage) };
        return ToolAnswer.Success($"Acknowledged {message.MessageId}: {message.Subject}", data);
    }

    /// <summary>The agent's own reservations and the messages to it.</summary>
    private async Task<ReservationStatus> MineAsync(CancellationToken cancellationToken)
    {
        var me = await agent.CurrentAsync(cancellationToken).ConfigureAwait(false);
        return await agent.Store.GetStatusAsync(new StatusQuery { Agent = me }, cancellationToken).ConfigureAwait(false);
    }

    private List<ScopePattern>? Scopes(IReadOnlyList<string>? paths)
        => paths?.Select(agent.Scope).Distinct().ToList();

    private static TimeSpan? Minutes(int? minutes) => minutes is { } m ? TimeSpan.FromMinutes(m) : null;

    private static JsonNode? Reservation(Reservation r) => ReservationCommands.Json(r);

    /// <summary>A reservation as a model needs it to decide: who, what, for which bead, how, until when.</summary>
    private JsonNode Holder(Reservation r) => new JsonObject
    {
        ["agent_id"] = r.AgentId.Value,
        ["scope"] = r.Scope.Value,
        ["bead_id"] = r.BeadId.Value,
        ["mode"] = r.Mode.ToWireName(),
        ["expires_at"] = Time(r.ExpiresAt),
        ["expires_in_seconds"] = Math.Max(0, (long)(r.ExpiresAt - time.GetUtcNow()).TotalSeconds),
        ["fencing_token"] = r.FencingToken?.Value,
        ["reason"] = r.Reason,
    };

    private string Line(Reservation r)
        => $"{r.Scope}: agent {r.AgentId}, bead {r.BeadId}, {r.Mode.ToWireName()}, until {Time(r.ExpiresAt)} ({ReservationCommands.ExpiresIn(r.ExpiresAt - time.GetUtcNow())} left)"
            + (r.Reason is { } reason ? $", reason: {reason}" : string.Empty);

    private static JsonArray Array(IEnumerable<Reservation> reservations, Func<Reservation, JsonNode?> shape)
        => new([.. reservations.Select(shape)]);

    private static string Time(DateTimeOffset instant) => UtcTimestampJsonConverter.Text(instant);
}
