using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentLocks.Cli.Mcp;

/// <summary>
/// Runs a tool call and turns every failure into a tool error, so the server answers any input and keeps serving:
/// an unknown tool or a bad argument is <c>INVALID_ARGS</c>, a refusal carries its own code, anything else is
/// <c>INTERNAL_ERROR</c>. Only a cancelled call (the client gave up or left) ends without an answer.
/// </summary>
/// <param name="tools">The tools.</param>
/// <param name="clientGone">Cancelled when the client has gone: every call in progress ends.</param>
internal sealed class ToolDispatcher(IReadOnlyList<McpTool> tools, CancellationToken clientGone)
{
    private readonly Dictionary<string, McpTool> _byName = tools.ToDictionary(t => t.Name, StringComparer.Ordinal);

    public async Task<CallToolResult> CallAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken)
    {
        var call = request.Params;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, clientGone);
        cancellationToken = ended.Token;
        try
        {
            if (call is null || !_byName.TryGetValue(call.Name, out var tool))
            {
                throw ToolArguments.Invalid($"Unknown tool '{call?.Name}'. The tools are {string.Join(", ", _byName.Keys)}.");
            }

            var args = ToolArguments.For(call.Arguments, tool.Accepted, Progress(request));
            return await tool.Run(args, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentLocksException e)
        {
            return ToolAnswer.Error(e.Error, NextSteps(e.Code));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ToolAnswer.Error(new AgentLocksError(ErrorCode.InternalError, $"{e.GetType().Name}: {e.Message}"), ["Try again; if it keeps failing, tell a person (agentlocks doctor may help)."]);
        }
    }

    /// <summary>Sends a progress message when the client asked for progress (a progress token), else does nothing.</summary>
    private static Func<string, CancellationToken, Task> Progress(RequestContext<CallToolRequestParams> request)
        => request.Params?.ProgressToken is { } token
            ? (message, ct) => request.Server.NotifyProgressAsync(token, new ProgressNotificationValue { Progress = 0, Message = message }, cancellationToken: ct)
            : (_, _) => Task.CompletedTask;

    private static string[] NextSteps(ErrorCode code) => code switch
    {
        ErrorCode.InvalidArgs => ["Fix the arguments as the message says and call again; tools/list has each tool's schema."],
        ErrorCode.AgentNotFound => ["Call register with your agent id, then call again."],
        ErrorCode.ReservationStaleFound => ["Call reserve again with takeover_stale true to take over the expired reservation."],
        ErrorCode.ReservationNotFound or ErrorCode.ReleaseForbidden => ["Call status with agent 'me' to see the reservations you hold, and name them exactly as reserved."],
        ErrorCode.MessageNotFound => ["Call messages to see the ids of your messages that await acknowledgement."],
        ErrorCode.Locked => ["The store is busy; call again in a few seconds."],
        ErrorCode.StoreCorrupt => ["The lock store is damaged and nothing was changed; tell a person to run agentlocks doctor."],
        _ => ["Try again; if it keeps failing, tell a person."],
    };
}
