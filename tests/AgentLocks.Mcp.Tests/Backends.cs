using System.Diagnostics;
using System.Text.Json;
using AgentLocks.Postgres.Tests;

namespace AgentLocks.Mcp.Tests;

/// <summary>Where the agents' reservations live in a test: its own file store root, or its own PostgreSQL schema.</summary>
public abstract class Backend
{
    /// <summary>The options that choose this store, for <c>agentlocks mcp</c> and every other command alike.</summary>
    public abstract IReadOnlyList<string> Options { get; }

    /// <summary>Removes the store the test used.</summary>
    public abstract Task DropAsync();

    /// <summary>Moves every active reservation's expiry into the past, as time passing would.</summary>
    public abstract Task ExpireEverythingAsync();

    /// <summary>Runs <c>agentlocks --json</c> on the same store, as a person or script beside the agents would.</summary>
    public async Task<JsonElement> CliAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { AgentSession.ToolPath, "--json" }.Concat(Options).Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("AGENTLOCKS_ROOT");
        start.Environment.Remove("AGENTLOCKS_POSTGRES");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"agentlocks {string.Join(' ', args)}: exit {process.ExitCode}: {await stdout}{await stderr}");
        using var envelope = JsonDocument.Parse(await stdout);
        return envelope.RootElement.GetProperty("data").Clone();
    }
}

/// <summary>A fresh file store root, deleted afterwards.</summary>
public sealed class FileBackend : Backend
{
    public string Root { get; } = Directory.CreateTempSubdirectory("agentlocks-mcp-").FullName;

    public override IReadOnlyList<string> Options => ["--root", Root];

    public override Task DropAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }

    public override async Task ExpireEverythingAsync()
    {
        var path = Path.Combine(Root, "reservations", "active.json");
        var active = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        foreach (var reservation in active["reservations"]!.AsArray())
        {
            reservation!["expires_at"] = "2020-01-01T00:00:00.000Z";
        }

        await File.WriteAllTextAsync(path, active.ToJsonString() + "\n");
    }
}

/// <summary>A fresh schema on the test server (named by the connection string's Search Path), dropped afterwards.</summary>
public sealed class PostgresBackend : Backend
{
    private readonly string _schema = PostgresTestServer.NewSchemaName();

    public override IReadOnlyList<string> Options => ["--postgres", $"{PostgresTestServer.ConnectionString};Search Path={_schema}"];

    public override Task DropAsync() => PostgresTestServer.DropSchemaAsync(_schema);

    public override Task ExpireEverythingAsync()
        => PostgresTestServer.ScalarAsync($"UPDATE \"{_schema}\".reservations SET expires_at = now() - interval '1 day' WHERE state = 'active'");
}
