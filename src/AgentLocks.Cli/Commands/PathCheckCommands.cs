using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// Enforcement where an edit lands: <c>check</c> (may this agent write these paths?), <c>hook claude-code</c>
/// (the same answer as a Claude Code PreToolUse hook) and <c>ack</c> (acknowledge a message such as a takeover notice).
/// </summary>
internal static class PathCheckCommands
{
    /// <summary>Claude Code's blocking exit code: the tool call is refused and stderr goes to the model.</summary>
    private const int Block = 2;

    /// <summary>Any other non-zero exit is a non-blocking error for Claude Code: the edit goes ahead (fail-open).</summary>
    private const int FailOpen = 1;

    /// <summary>The tools that write files, and the field of <c>tool_input</c> naming the file.</summary>
    private static readonly Dictionary<string, string> WritingTools = new(StringComparer.Ordinal)
    {
        ["Edit"] = "file_path",
        ["MultiEdit"] = "file_path",
        ["Write"] = "file_path",
        ["NotebookEdit"] = "notebook_path",
    };

    public static CommandSpec[] All { get; } =
    [
        new(["check"], "check", "check --agent ID --path P [--path P...]", ["agent", "path"], [], CheckAsync),
        new(["ack"], "ack", "ack --agent ID --message ID", ["agent", "message"], [], AckAsync),
        new(["hook", "claude-code"], "hook claude-code", "hook claude-code [--agent ID]  (PreToolUse JSON on stdin; exit 2 blocks)", ["agent"], [], ClaudeCodeAsync),
    ];

    private static async Task<CommandResult> CheckAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var agent = context.Required<AgentId>("agent");
        var paths = context.Line.All("path");
        if (paths.Count == 0)
        {
            throw CommandLine.Invalid("--path is required.");
        }

        var repository = Backends.Repository(context, Environment.CurrentDirectory);
        var holds = await PathHolders.JudgeAsync(Backends.OpenReservationStore(context, repository), repository, agent, paths, cancellationToken).ConfigureAwait(false);
        var held = holds.Any(h => h.State == PathState.Held);
        var data = new JsonObject { ["agent"] = agent.Value, ["held"] = held, ["paths"] = new JsonArray([.. holds.Select(PathHolders.Json)]) };
        var text = new StringBuilder();
        foreach (var hold in holds)
        {
            text.AppendLine($"{PathHolders.Name(hold.State),-6} {hold.Path}");
            foreach (var line in PathHolders.Describe(hold))
            {
                text.AppendLine("         " + line);
            }
        }

        return new CommandResult(data, text.ToString().TrimEnd(), held ? ExitCodes.For(ErrorCode.ReservationConflict) : ExitCodes.Done);
    }

    private static async Task<CommandResult> AckAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var message = await Backends.OpenReservationStore(context)
            .AcknowledgeMessageAsync(context.Required<AgentId>("agent"), context.Required("message"), cancellationToken).ConfigureAwait(false);
        return new CommandResult(JsonSerializer.SerializeToNode(message, AgentLocksJsonContext.Default.AgentMessage), $"acknowledged {message.MessageId} ({message.Subject})");
    }

    /// <summary>
    /// Reads one PreToolUse payload and allows (exit 0) or blocks (exit 2, the reason on stderr). Fail-open: when
    /// the payload or the store cannot be read the edit is allowed with a warning (exit 1, which Claude Code shows
    /// and does not block on); the commit guard still stands between the edit and the repository.
    /// </summary>
    private static async Task<CommandResult> ClaudeCodeAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var agentText = context.Optional("agent") ?? Environment.GetEnvironmentVariable("AGENTLOCKS_AGENT");
        AgentId? agent = string.IsNullOrEmpty(agentText) ? null : AgentId.Parse(agentText);
        string? tool;
        string? file;
        string cwd;
        try
        {
            var payload = JsonNode.Parse(await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false)) as JsonObject
                ?? throw new JsonException("the payload is not a JSON object");
            tool = payload["tool_name"]?.GetValue<string>();
            cwd = payload["cwd"]?.GetValue<string>() ?? Environment.CurrentDirectory;
            file = tool is not null && WritingTools.TryGetValue(tool, out var field) ? payload["tool_input"]?[field]?.GetValue<string>() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return new CommandResult(null, string.Empty, FailOpen, $"agentlocks hook: cannot read the PreToolUse payload ({e.Message}); the tool call is allowed.");
        }

        if (string.IsNullOrEmpty(file))
        {
            return new CommandResult(null, string.Empty);
        }

        var path = Path.GetFullPath(file, cwd);
        IReadOnlyList<PathHold> holds;
        try
        {
            var repository = Backends.Repository(context, cwd);
            holds = await PathHolders.JudgeAsync(Backends.OpenReservationStore(context, repository), repository, agent, [path], cancellationToken).ConfigureAwait(false);
        }
        catch (AgentLocksException e) when (e.Code != ErrorCode.InvalidArgs)
        {
            return new CommandResult(null, string.Empty, FailOpen,
                $"agentlocks hook: cannot read the reservation store ({e.Code.ToWireName()}: {e.Message}); the edit of {path} is allowed (fail-open). Run 'agentlocks doctor'.");
        }

        var hold = holds[0];
        if (hold.State != PathState.Held)
        {
            return new CommandResult(null, string.Empty);
        }

        var holder = hold.Others.First(r => r.Mode == ReservationMode.Exclusive);
        var reason = new StringBuilder()
            .AppendJoin(Environment.NewLine, PathHolders.Describe(hold)).AppendLine()
            .Append(agent is { } me
                ? $"Do not edit it. Work on something else, ask agent {holder.AgentId} to release '{holder.Scope}', or wait until it expires; then reserve it: agentlocks reserve --agent {me} --scope {holder.Scope} --bead <bead>."
                : "No agent identity is set (AGENTLOCKS_AGENT), so every reserved path is refused. Set AGENTLOCKS_AGENT to your agent id and reserve what you edit.");
        return new CommandResult(null, string.Empty, Block, reason.ToString());
    }
}
