using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentLocks.Cli.Mcp;

/// <summary>
/// <c>agentlocks mcp</c>: an MCP server over stdio for coding agents, on the official SDK's low-level handlers
/// (tools listed and dispatched here, schemas written by hand): no reflection, so it trims and runs as Native AOT,
/// and every argument error is ours to answer as <c>INVALID_ARGS</c>. It serves until the client closes stdin.
/// </summary>
internal static class McpCommand
{
    public static CommandSpec[] All { get; } =
    [
        new(["mcp"], "mcp", "mcp [--agent ID] [--repo DIR]   (an MCP server over stdio for coding agents)", ["agent", "repo"], [], RunAsync),
    ];

    private const string Instructions = """
        AgentLocks keeps agents that share a repository from editing the same files at once. Before you edit files,
        call reserve with every path you will touch (all-or-nothing) and the bead (task id) you work on. When reserve
        fails with RESERVATION_CONFLICT, another agent is editing those files: do not edit them; do other work, or
        call reserve again with wait_seconds. Call touch with the paths you edit as you work so your lease does not
        run out, and release when the change is committed or abandoned. Call messages at the start of a session, and ack
        each message once you have acted on it.
        """;

    private static async Task<CommandResult> RunAsync(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Json)
        {
            throw CommandLine.Invalid("mcp speaks the Model Context Protocol on stdout; --json does not apply to it.");
        }

        var agentText = context.Optional("agent") ?? NullIfEmpty(Environment.GetEnvironmentVariable("AGENTLOCKS_AGENT"));
        var agentId = agentText is null ? (AgentId?)null : Parse(agentText);
        var repository = Backends.Repository(context, Environment.CurrentDirectory);
        var agent = new McpAgent(Backends.OpenReservationStore(context, repository), agentId, repository);
        var tools = new ReservationTools(agent, TimeProvider.System).All;
        var input = new ClientInput(Console.OpenStandardInput());
        var dispatcher = new ToolDispatcher(tools, input.Gone);
        var options = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "agentlocks", Version = typeof(McpCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0" },
            ServerInstructions = Instructions,
            Capabilities = new ServerCapabilities { Tools = new ToolsCapability() },
            Handlers = new McpServerHandlers
            {
                ListToolsHandler = (_, _) => ValueTask.FromResult(new ListToolsResult { Tools = [.. tools.Select(t => t.ToProtocol())] }),
                CallToolHandler = (request, ct) => new ValueTask<CallToolResult>(dispatcher.CallAsync(request, ct)),
            },
        };

        await using var transport = new StreamServerTransport(input, Console.OpenStandardOutput(), "agentlocks");
        await using var server = McpServer.Create(transport, options);
        await server.RunAsync(cancellationToken).ConfigureAwait(false);
        return new CommandResult(null, string.Empty);
    }

    private static AgentId Parse(string text)
    {
        try
        {
            return AgentId.Parse(text);
        }
        catch (FormatException e)
        {
            throw CommandLine.Invalid($"--agent (or AGENTLOCKS_AGENT): {e.Message}");
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
