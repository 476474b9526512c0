using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentLocks.Mcp.Tests;

/// <summary>
/// One agent as a coding agent runs it: the built <c>agentlocks mcp</c> started as a child process, and the SDK's
/// MCP client talking to it over stdio.
/// </summary>
internal sealed class AgentSession : IAsyncDisposable
{
    /// <summary>The built CLI, copied beside the tests by the project reference.</summary>
    public static readonly string ToolPath = Path.Combine(AppContext.BaseDirectory, "AgentLocks.Cli.dll");

    private AgentSession(McpClient client) => Client = client;

    public McpClient Client { get; }

    /// <summary>Starts a server with <paramref name="args"/> after <c>mcp</c> (a backend, <c>--agent</c>, ...), in <paramref name="workingDirectory"/> if given.</summary>
    public static async Task<AgentSession> StartAsync(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var env = new Dictionary<string, string?>
        {
            // Never touch the real ~/.agentlocks or a developer's database from a test.
            ["AGENTLOCKS_ROOT"] = null,
            ["AGENTLOCKS_POSTGRES"] = null,
            ["AGENTLOCKS_AGENT"] = null,
            ["AGENTLOCKS_REPO"] = null,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            env[key] = value;
        }

        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "agentlocks",
            Command = "dotnet",
            Arguments = [ToolPath, "mcp", .. args],
            EnvironmentVariables = env,
            WorkingDirectory = workingDirectory,
            ShutdownTimeout = TimeSpan.FromSeconds(10),
        });
        return new AgentSession(await McpClient.CreateAsync(transport));
    }

    /// <summary>Calls a tool; a JSON object literal gives the arguments.</summary>
    public async Task<ToolCall> CallAsync(string tool, string arguments = "{}", CancellationToken cancellationToken = default)
    {
        var parsed = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(arguments)!;
        var result = await Client.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = parsed }, cancellationToken);
        return new ToolCall(tool, result);
    }

    /// <summary>Calls a tool asking for progress; the first progress message completes <paramref name="firstProgress"/>.</summary>
    public async Task<ToolCall> CallWithProgressAsync(string tool, string arguments, TaskCompletionSource<string?> firstProgress)
    {
        var parsed = JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments)!;
        var progress = new Progress<ModelContextProtocol.ProgressNotificationValue>(p => firstProgress.TrySetResult(p.Message));
        var result = await Client.CallToolAsync(tool, parsed, progress);
        return new ToolCall(tool, result);
    }

    /// <summary>Calls a tool that must succeed, and returns its structured content.</summary>
    public async Task<JsonElement> OkAsync(string tool, string arguments = "{}")
        => (await CallAsync(tool, arguments)).Succeeds();

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}

/// <summary>A tool's answer, with the checks every answer must pass: a text and structured content that agree on ok.</summary>
internal sealed record ToolCall(string Tool, CallToolResult Result)
{
    public string Text => string.Concat(Result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    public JsonElement Structured => Result.StructuredContent ?? throw new Xunit.Sdk.XunitException($"{Tool}: no structured content: {Text}");

    public JsonElement Succeeds()
    {
        Assert.True(Result.IsError is not true, $"{Tool} failed: {Text}");
        Assert.True(Structured.GetProperty("ok").GetBoolean());
        Assert.False(string.IsNullOrWhiteSpace(Text));
        return Structured;
    }

    /// <summary>A tool error with this code: isError, ok false, the code and a message in both the text and the structure, and next steps.</summary>
    public JsonElement Fails(string code)
    {
        Assert.True(Result.IsError is true, $"{Tool} should have failed with {code}: {Text}");
        Assert.False(Structured.GetProperty("ok").GetBoolean());
        var error = Structured.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.StartsWith(code + ":", Text, StringComparison.Ordinal);
        Assert.NotEmpty(Structured.GetProperty("next_steps").EnumerateArray());
        return Structured;
    }
}
