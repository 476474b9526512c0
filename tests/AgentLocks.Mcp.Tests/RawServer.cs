using System.Diagnostics;
using System.Text.Json;

namespace AgentLocks.Mcp.Tests;

/// <summary>
/// <c>agentlocks mcp</c> spoken to line by line, for what the SDK's client will not send (malformed input) or not
/// show (the server's exit code after its client leaves).
/// </summary>
internal sealed class RawServer : IDisposable
{
    private RawServer(Process process) => Process = process;

    public Process Process { get; }

    public static RawServer Start(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { AgentSession.ToolPath, "mcp" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("AGENTLOCKS_AGENT");
        start.Environment.Remove("AGENTLOCKS_ROOT");
        start.Environment.Remove("AGENTLOCKS_POSTGRES");
        return new RawServer(Process.Start(start)!);
    }

    /// <summary>The handshake: <c>initialize</c>, its answer, then <c>notifications/initialized</c>.</summary>
    public async Task InitializeAsync()
    {
        await SendAsync("""{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""");
        Assert.Equal(0, (await ReadAsync()).GetProperty("id").GetInt32());
        await SendAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
    }

    public Task SendAsync(string line) => Process.StandardInput.WriteLineAsync(line);

    /// <summary>The next message on the server's stdout; every line there must be JSON-RPC.</summary>
    public async Task<JsonElement> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await Process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new Xunit.Sdk.XunitException("The server closed stdout.");
        using var document = JsonDocument.Parse(line);
        Assert.Equal("2.0", document.RootElement.GetProperty("jsonrpc").GetString());
        return document.RootElement.Clone();
    }

    /// <summary>Reads until a message that <paramref name="match"/> accepts.</summary>
    public async Task<JsonElement> ReadUntilAsync(Func<JsonElement, bool> match)
    {
        while (true)
        {
            var message = await ReadAsync();
            if (match(message))
            {
                return message;
            }
        }
    }

    /// <summary>Leaves as a client does: closes the server's stdin; then the server must exit by itself.</summary>
    public async Task<int> DisconnectAsync()
    {
        Process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Process.WaitForExitAsync(timeout.Token);
        return Process.ExitCode;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }
}
