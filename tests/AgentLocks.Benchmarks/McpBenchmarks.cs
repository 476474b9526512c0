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

    /// <summary>What the server does for the two tool calls, in process: the fair baseline.</summary>
    [Benchmark(Baseline = true, Description = "reserve+release, library")]
    public async Task LibraryRoundTrip()
    {
        LeftHeld.OnPurpose(await _store.ReserveAllAsync([new ReservationRequest(Agent, Scope, Bead)])); // released by scope, as the server does
        await _store.ReleaseAsync(Agent, Scope);
    }

    /// <summary>The usual library form: release by disposing the handle.</summary>
    [Benchmark(Description = "reserve+dispose, library handle")]
    public async Task LibraryHandleRoundTrip()
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

    /// <summary>
    /// The same round trips alternated call by call, <paramref name="rounds"/> of each, so both meet the same load on
    /// a shared machine (BenchmarkDotNet runs one benchmark after the other); prints median and p90 of each and their ratio.
    /// Run: <c>dotnet run -c Release --project tests/AgentLocks.Benchmarks -- mcp-interleaved 300</c>.
    /// </summary>
    public static async Task RunInterleavedAsync(int rounds, TextWriter output)
    {
        var bench = new McpBenchmarks();
        await bench.SetupAsync();
        try
        {
            // Each with the index of the variant it is compared with.
            (string Name, Func<Task> Run, int Baseline)[] variants =
            [
                ("reserve+release, library", bench.LibraryRoundTrip, 0),
                ("reserve+release, MCP", bench.McpRoundTrip, 0),
                ("reserve+dispose, handle", bench.LibraryHandleRoundTrip, 0),
                ("status, library", bench.LibraryStatus, 3),
                ("status, MCP", bench.McpStatus, 3),
            ];
            var times = variants.Select(_ => new List<double>()).ToArray();
            for (var round = -10; round < rounds; round++)
            {
                for (var i = 0; i < variants.Length; i++)
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    await variants[i].Run();
                    if (round >= 0)
                    {
                        times[i].Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                }
            }

            await output.WriteLineAsync(FormattableString.Invariant($"{rounds} rounds, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end"));
            for (var i = 0; i < variants.Length; i++)
            {
                times[i].Sort();
                var median = times[i][times[i].Count / 2];
                var baseline = times[variants[i].Baseline][times[variants[i].Baseline].Count / 2];
                await output.WriteLineAsync(FormattableString.Invariant($"{variants[i].Name,-28} median {median,8:0.000} ms  p90 {times[i][times[i].Count * 9 / 10],8:0.000} ms  {median / baseline,5:0.00}x {variants[variants[i].Baseline].Name}"));
            }
        }
        finally
        {
            await bench.CleanupAsync();
        }
    }

    private async Task CallAsync(string tool, string arguments)
    {
        var result = await _client.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(arguments) });
        if (result.IsError is true)
        {
            throw new InvalidOperationException($"{tool}: {string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text))}");
        }
    }
}
