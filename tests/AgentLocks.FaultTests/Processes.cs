using System.Diagnostics;
using System.Text.Json;

namespace AgentLocks.FaultTests;

/// <summary>Child processes the fault tests start: beadboard's writer, the agentlocks CLI and the taker, all built beside the tests.</summary>
internal static class Processes
{
    /// <summary>Only turns a hang into a failure; a healthy call takes well under a second.</summary>
    public static readonly TimeSpan HangBound = TimeSpan.FromSeconds(90);

    /// <summary>True with AGENTLOCKS_TORTURE=1: the long rounds.</summary>
    public static bool Torture => Environment.GetEnvironmentVariable("AGENTLOCKS_TORTURE") == "1";

    public static string ForeignWriter => Sibling("AgentLocks.ForeignWriter");

    public static string Taker => Sibling("AgentLocks.Taker");

    public static string Cli => Path.Combine(AppContext.BaseDirectory, "AgentLocks.Cli.dll");

    /// <summary>Starts <c>dotnet DLL ARGS</c> (after <paramref name="launcher"/>, such as a shell that sets limits) with pipes.</summary>
    public static Process Start(string dll, IEnumerable<string> args, IReadOnlyList<string>? launcher = null)
    {
        string[] command = [.. launcher ?? [], "dotnet", dll, .. args];
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("AGENTLOCKS_ROOT");
        return Process.Start(start)!;
    }

    /// <summary>Runs to the end; the exit code and what it printed.</summary>
    public static async Task<Run> RunAsync(string dll, IEnumerable<string> args, IReadOnlyList<string>? launcher = null)
    {
        using var process = Start(dll, args, launcher);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(HangBound);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} {string.Join(' ', args)} hung for {HangBound.TotalSeconds} s.");
        }

        return new Run(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The agentlocks CLI with <c>--root ROOT --json</c>.</summary>
    public static Task<Run> CliAsync(string root, params string[] args) => RunAsync(Cli, [.. args, "--root", root, "--json"]);

    /// <summary>The next line a child prints; fails rather than hangs (the torture rounds are given half an hour).</summary>
    public static async Task<string> ReadLineAsync(this Process process)
        => await process.StandardOutput.ReadLineAsync().WaitAsync(Torture ? TimeSpan.FromMinutes(30) : HangBound) ?? throw new InvalidOperationException("The child exited: " + await process.StandardError.ReadToEndAsync());

    private static string Sibling(string project)
        => Path.Combine(AppContext.BaseDirectory.Replace("AgentLocks.FaultTests", project, StringComparison.Ordinal), project + ".dll");
}

/// <summary>One finished child.</summary>
internal sealed record Run(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The error code of a <c>--json</c> envelope, or null when it succeeded.</summary>
    public string? Code
    {
        get
        {
            using var json = JsonDocument.Parse(Stdout);
            return json.RootElement.GetProperty("error") is { ValueKind: JsonValueKind.Object } error ? error.GetProperty("code").GetString() : null;
        }
    }

    public override string ToString() => $"exit {ExitCode}: {Stdout}{Stderr}";
}

/// <summary>A fresh store root under the temp directory, removed afterwards.</summary>
internal sealed class StoreRoot : IDisposable
{
    public StoreRoot()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "agentlocks-faults", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(File("reservations"));
    }

    public string Path { get; }

    public string Active => File("reservations", "active.json");

    public string History => File("reservations", "history.jsonl");

    public string Ceiling => File("reservations", "agentlocks.json");

    public string Lock => File("reservations", ".lock");

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>
    /// Every store file's bytes (or kind, for what is not a regular file), to show that nothing changed; not the mutex's
    /// line of waiters (<c>.lock.queue</c>), whose counter every call moves, refused or not.
    /// </summary>
    public string Snapshot(params string[] except)
    {
        var lines = Directory.EnumerateFileSystemEntries(Path, "*", SearchOption.AllDirectories)
            .Where(p => !except.Contains(System.IO.Path.GetFileName(p)) && System.IO.Path.GetFileName(p) != ".lock.queue")
            .Order(StringComparer.Ordinal)
            .Select(p => System.IO.Path.GetRelativePath(Path, p) + " " + (Native.StatNoFollow(p) is { IsRegular: false } odd
                ? odd.Kind + (new FileInfo(p).LinkTarget is { } target ? " to " + target : string.Empty)
                : Convert.ToHexString(System.IO.File.ReadAllBytes(p))));
        return string.Join('\n', lines);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
