using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentLocks.Benchmarks;

/// <summary>
/// What MCP costs an agent: one reserve+release round trip on a file store through <c>agentlocks mcp</c> (a real
/// server process, kept warm, called with the SDK's client over stdio) against the same round trip through the
/// library in process, and a read-only status call both ways to separate the protocol from the store's fsyncs.
/// In process, so the server is the CLI built beside this project.
/// Run: <c>dotnet run -c Release --project tests/AgentLocks.Benchmarks -- --filter '*McpBenchmarks*' --job short</c>.
/// </summary>
[InProcess]
public class McpBenchmarks
{
    private static readonly AgentId Agent = AgentId.Parse("bench-library");
    private static readonly ScopePattern Scope = ScopePattern.Parse("src/library/**");
    private static readonly BeadId Bead = BeadId.Parse("bd-1");

    private string _root = null!;
    private FileReservationStore _store = null!;
    private McpClient _client = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _root = Path.Combine(Path.GetTempPath(), "agentlocks-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _store = new FileReservationStore(_root);
        await _store.RegisterAgentAsync(Agent);
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = "dotnet",
            Arguments = [Path.Combine(AppContext.BaseDirectory, "AgentLocks.Cli.dll"), "mcp", "--root", _root, "--agent", "bench-mcp"],
        });
        _client = await McpClient.CreateAsync(transport);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _client.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "reserve+release, library")]
    public async Task LibraryRoundTrip()
    {
        await using var held = await _store.ReserveAsync(new ReservationRequest(Agent, Scope, Bead));
    }

    [Benchmark(Description = "reserve+release, MCP tool calls")]
    public async Task McpRoundTrip()
    {
        await CallAsync("reserve", """{"paths": ["src/mcp/**"], "bead": "bd-1"}""");
        await CallAsync("release", """{"paths": ["src/mcp/**"]}""");
    }

    [Benchmark(Description = "status, library")]
    public Task<ReservationStatus> LibraryStatus() => _store.GetStatusAsync(new StatusQuery { Agent = Agent });

    [Benchmark(Description = "status, MCP tool call")]
    public Task McpStatus() => CallAsync("status", """{"agent": "me"}""");

    private async Task CallAsync(string tool, string arguments)
    {
        var result = await _client.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(arguments) });
        if (result.IsError is true)
        {
            throw new InvalidOperationException($"{tool}: {string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text))}");
        }
    }
}
