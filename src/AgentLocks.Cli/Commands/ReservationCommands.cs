using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// The scope-reservation commands of cli.md: <c>agent register</c>, <c>reserve</c>, <c>release</c>, <c>renew</c>,
/// <c>status</c>. They parse and print; every rule (TTL bounds, overlap, ownership, takeover) is the store's.
/// </summary>
internal static class ReservationCommands
{
    public static CommandSpec[] All { get; } =
    [
        new(["agent", "register"], "agent register", "agent register --agent ID [--role ROLE] [--display NAME]", ["agent", "role", "display"], [], RegisterAsync),
        new(["reserve"], "agent reserve", "reserve --agent ID --scope PATTERN --bead ID [--ttl MINUTES] [--wait SECONDS] [--shared] [--takeover-stale] [--reason TEXT]", ["agent", "scope", "bead", "ttl", "wait", "reason"], ["shared", "takeover-stale"], ReserveAsync),
        new(["release"], "agent release", "release --agent ID --scope PATTERN", ["agent", "scope"], [], ReleaseAsync),
        new(["renew"], "agent renew", "renew --agent ID --scope PATTERN [--ttl MINUTES]", ["agent", "scope", "ttl"], [], RenewAsync),
        new(["status"], "agent status", "status [--bead ID] [--agent ID]", ["bead", "agent"], [], StatusAsync),
    ];

    /// <summary>Less lease than this (beadboard's shortest TTL) is shown in yellow: renew or expect to lose it.</summary>
    private static readonly TimeSpan EndingSoon = TimeSpan.FromMinutes(5);

    /// <summary>The commands' store: the files under the root, or PostgreSQL with --postgres.</summary>
    private static IReservationStore OpenStore(CommandContext context) => Backends.OpenReservationStore(context);

    private static async Task<CommandResult> RegisterAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var registration = new AgentRegistration(context.Optional("role"), context.Optional("display"));
        var record = await OpenStore(context).RegisterAgentAsync(context.Required<AgentId>("agent"), registration, cancellationToken).ConfigureAwait(false);
        var data = JsonSerializer.SerializeToNode(record, AgentLocksJsonContext.Default.AgentRecord);
        return new CommandResult(data, $"registered {record.AgentId} (role {record.Role}, display name {record.DisplayName})");
    }

    private static async Task<CommandResult> ReserveAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var request = new ReservationRequest(context.Required<AgentId>("agent"), context.Required<ScopePattern>("scope"), context.Required<BeadId>("bead"), context.OptionalMinutes("ttl"))
        {
            Mode = context.Flag("shared") ? ReservationMode.Shared : ReservationMode.Exclusive,
            TakeoverStale = context.Flag("takeover-stale"),
            Wait = context.OptionalSeconds("wait") ?? TimeSpan.Zero,
            Reason = context.Optional("reason"),
        };

        // The reservation outlives this command by design (until its TTL or a release), so the handle is not disposed.
        var held = await OpenStore(context).ReserveAsync(request, cancellationToken).ConfigureAwait(false);
        LeftHeld.OnPurpose(held);
        var r = held.Reservation;
        return new CommandResult(Json(r), $"reserved {r.Scope} for {r.AgentId} (bead {r.BeadId}, {r.Mode.ToWireName()}) until {Text(r.ExpiresAt)}; fencing token {Token(r)}");
    }

    private static async Task<CommandResult> ReleaseAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var r = await OpenStore(context).ReleaseAsync(context.Required<AgentId>("agent"), context.Required<ScopePattern>("scope"), cancellationToken).ConfigureAwait(false);
        return new CommandResult(Json(r), $"released {r.Scope} (agent {r.AgentId}, bead {r.BeadId})");
    }

    private static async Task<CommandResult> RenewAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var r = await OpenStore(context).RenewAsync(context.Required<AgentId>("agent"), context.Required<ScopePattern>("scope"), context.OptionalMinutes("ttl"), cancellationToken).ConfigureAwait(false);
        return new CommandResult(Json(r), $"renewed {r.Scope} for {r.AgentId} until {Text(r.ExpiresAt)}");
    }

    private static async Task<CommandResult> StatusAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var query = new StatusQuery { Bead = context.Optional<BeadId>("bead"), Agent = context.Optional<AgentId>("agent") };
        var status = await OpenStore(context).GetStatusAsync(query, cancellationToken).ConfigureAwait(false);
        var data = JsonSerializer.SerializeToNode(status, AgentLocksJsonContext.Default.ReservationStatus);
        return new CommandResult(data, Human(status, DateTimeOffset.UtcNow, TextTable.UseColor));
    }

    /// <summary>The status for people: a table of the reservations, the messages awaiting an acknowledgement, the counts.</summary>
    internal static string Human(ReservationStatus status, DateTimeOffset now, bool color)
    {
        var text = new StringBuilder();
        if (status.Reservations.Count == 0)
        {
            text.Append("no active reservations");
        }
        else
        {
            var rows = status.Reservations
                .OrderBy(r => r.ExpiresAt)
                .Select(r => (IReadOnlyList<Cell>)
                [
                    r.AgentId.Value,
                    r.Mode == ReservationMode.Shared ? $"{r.Scope} (shared)" : r.Scope.Value,
                    r.BeadId.Value,
                    new Cell(ExpiresIn(r.ExpiresAt - now), r.ExpiresAt - now < EndingSoon ? TextTable.Yellow : null),
                    Token(r),
                ])
                .ToList();
            text.Append(TextTable.Render(["HOLDER", "SCOPE", "BEAD", "EXPIRES IN", "FENCING TOKEN"], rows, color));
        }

        if (status.UnackedRequiredMessages.Count > 0)
        {
            text.AppendLine().AppendLine().Append("awaiting acknowledgement:");
            foreach (var m in status.UnackedRequiredMessages)
            {
                text.AppendLine().Append(CultureInfo.InvariantCulture, $"  {m.MessageId}  {m.FromAgent ?? "-"} -> {m.ToAgent ?? "-"}  {m.BeadId ?? "-"}  {m.Subject}");
            }
        }

        var s = status.Summary;
        return text.AppendLine().AppendLine()
            .Append(CultureInfo.InvariantCulture, $"{s.Active} active, {s.Released} released, {s.Expired} expired, {s.UnackedRequiredMessages} unacknowledged required message(s)")
            .ToString();
    }

    /// <summary>Whole seconds, largest units first: <c>1h 05m</c>, <c>29m 59s</c>, <c>42s</c>.</summary>
    internal static string ExpiresIn(TimeSpan left)
    {
        var seconds = (long)Math.Floor(left.TotalSeconds);
        return seconds switch
        {
            <= 0 => "expired",
            >= 3600 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}h {seconds % 3600 / 60:00}m"),
            >= 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m {seconds % 60:00}s"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{seconds}s"),
        };
    }

    /// <summary>A reservation in the JSON shape of cli.md (beadboard's fields and ours).</summary>
    internal static JsonNode? Json(Reservation reservation)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ReservationJson.Write(writer, reservation);
        }

        return JsonNode.Parse(buffer.WrittenSpan);
    }

    private static string Text(DateTimeOffset instant) => UtcTimestampJsonConverter.Text(instant);

    /// <summary>The fencing token, or <c>-</c> for a reservation beadboard wrote (it has none).</summary>
    private static string Token(Reservation reservation) => reservation.FencingToken?.ToString() ?? "-";
}
