using System.Diagnostics;
using System.Text.Json;

namespace AgentLocks.Cli.Tests;

/// <summary>Runs the built <c>agentlocks</c> program as a child process, as a user or script would.</summary>
internal static class CliRunner
{
    private static readonly string ToolPath = Path.Combine(AppContext.BaseDirectory, "AgentLocks.Cli.dll");

    /// <param name="launcher">A command that runs the tool, such as <c>setpriv --reuid=65534 ...</c>; "dotnet" and the tool follow it.</param>
    /// <param name="stdin">What the tool reads on stdin (a hook's payload); null leaves stdin alone.</param>
    public static async Task<CliResult> RunAsync(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null, IReadOnlyList<string>? launcher = null, string? stdin = null)
    {
        using var process = Start(args, environment, workingDirectory, launcher, redirectStdin: stdin is not null);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the tool without waiting for it; the process is the <c>agentlocks</c> process itself (with no launcher).</summary>
    /// <param name="redirectStdin">Whether the caller writes the tool's stdin.</param>
    public static Process Start(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null, IReadOnlyList<string>? launcher = null, bool redirectStdin = false)
    {
        string[] command = [.. launcher ?? [], "dotnet", ToolPath];
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in command.Skip(1).Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        // Never touch the real ~/.agentlocks or a developer's database from a test.
        start.Environment.Remove("AGENTLOCKS_ROOT");
        start.Environment.Remove("AGENTLOCKS_POSTGRES");
        start.Environment.Remove("AGENTLOCKS_REPO");
        start.Environment.Remove("AGENTLOCKS_AGENT");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }
}

/// <summary>What a CLI run printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The single JSON envelope of a <c>--json</c> run; fails the test if stdout holds anything else.</summary>
    public JsonElement Envelope
    {
        get
        {
            using var document = JsonDocument.Parse(Stdout);
            return document.RootElement.Clone();
        }
    }

    /// <summary>The data of a successful <c>--json</c> run of <paramref name="command"/>, after checking the envelope says exactly that.</summary>
    public JsonElement Succeeds(string command)
    {
        Assert.True(ExitCode == 0, $"exit {ExitCode}: {Stdout}{Stderr}");
        var envelope = Envelope;
        Assert.Equal(["ok", "command", "data", "error"], envelope.EnumerateObject().Select(p => p.Name));
        Assert.True(envelope.GetProperty("ok").GetBoolean());
        Assert.Equal(command, envelope.GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.Null, envelope.GetProperty("error").ValueKind);
        return envelope.GetProperty("data");
    }

    /// <summary>The error object of a failed <c>--json</c> run, after checking its exit code, error code and envelope (no data, a message).</summary>
    public JsonElement Fails(string command, int exitCode, string code)
    {
        Assert.True(ExitCode == exitCode, $"exit {ExitCode}, expected {exitCode}: {Stdout}{Stderr}");
        var envelope = Envelope;
        Assert.Equal(["ok", "command", "data", "error"], envelope.EnumerateObject().Select(p => p.Name));
        Assert.False(envelope.GetProperty("ok").GetBoolean());
        Assert.Equal(command, envelope.GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.Null, envelope.GetProperty("data").ValueKind);
        var error = envelope.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return error;
    }
}
