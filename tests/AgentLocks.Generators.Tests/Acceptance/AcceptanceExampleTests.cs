using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentLocks.Tests.Shared;
using Microsoft.CodeAnalysis;

namespace AgentLocks.Generators.Tests.Acceptance;

/// <summary>
/// The acceptance example of spec/sdk.md, verbatim but for its demo directory (a unique temp root per run),
/// compiled in memory with the generator, emitted, loaded and run against the real file store.
/// </summary>
public sealed partial class AcceptanceExampleTests
{
    private const string DemoDirectory = "\"agentlocks-demo\"";

    [Fact]
    public async Task TheExampleCompilesWithoutWarningsRunsAndLeavesItsHistory()
    {
        var root = Path.Combine(Path.GetTempPath(), "agentlocks-demo-" + Guid.NewGuid().ToString("N"));
        var example = ReadExample();
        Assert.Equal(1, Occurrences(example, DemoDirectory));
        var source = example.Replace(DemoDirectory, "\"" + Path.GetFileName(root) + "\"", StringComparison.Ordinal);

        var input = GeneratorHarness.Compile([SdkImplicitUsings.Source, source], OutputKind.ConsoleApplication);
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Empty(output.Problems());

        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        image.Position = 0;
        var assembly = new AssemblyLoadContext(null, isCollectible: true).LoadFromStream(image);

        try
        {
            var started = DateTimeOffset.UtcNow;
            var printed = await RunMainAsync(assembly);
            var finished = DateTimeOffset.UtcNow;

            // What Main printed: the second reservation, its lease (10 minutes) and its fencing token.
            var match = Printed().Match(printed);
            Assert.True(match.Success, printed);
            var expiresAt = DateTimeOffset.Parse(match.Groups["expires"].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(expiresAt, started.AddMinutes(10).AddSeconds(-1), finished.AddMinutes(10).AddSeconds(1));

            // Everything was released on the way out: by the generated handle's scope, then by Main's own.
            using var active = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "reservations", "active.json")));
            Assert.Empty(active.RootElement.GetProperty("reservations").EnumerateArray());
            Assert.True(File.Exists(Path.Combine(root, "agents", "auth-refactorer.json")));

            var history = File.ReadAllLines(Path.Combine(root, "reservations", "history.jsonl"))
                .Select(line => JsonDocument.Parse(line).RootElement)
                .ToList();
            var auth = Reserved(history, "src/auth/**");
            Assert.Equal(("auth-refactorer", "bd-42", "exclusive"), (Text(auth, "agent_id"), Text(auth, "bead_id"), Text(auth, "mode")));
            var docs = Reserved(history, "docs/auth.md");
            Assert.Equal(("auth-refactorer", "bd-42", "shared"), (Text(docs, "agent_id"), Text(docs, "bead_id"), Text(docs, "mode")));
            Assert.Equal(TimeSpan.FromMinutes(30), Lease(docs));
            var api = Reserved(history, "src/api/**");
            Assert.Equal(("auth-refactorer", "bd-43"), (Text(api, "agent_id"), Text(api, "bead_id")));
            Assert.Equal(TimeSpan.FromMinutes(10), Lease(api));
            Assert.Equal(match.Groups["token"].Value, api.GetProperty("fencing_token").GetRawText());

            // The generated set was released before Main reserved src/api/**, which was released last.
            var released = history.Where(e => Text(e, "event") == "released").Select(e => Text(e, "scope")).ToList();
            Assert.Equal(["docs/auth.md", "src/api/**", "src/auth/**"], released.Order(StringComparer.Ordinal));
            Assert.Equal("src/api/**", released[^1]);
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static async Task<string> RunMainAsync(Assembly assembly)
    {
        var console = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            // The entry point is the compiler's synchronous wrapper; awaiting Main itself keeps the test asynchronous.
            Assert.NotNull(assembly.EntryPoint);
            await (Task)assembly.GetType("Program")!.GetMethod("Main")!.Invoke(null, [])!;
        }
        finally
        {
            Console.SetOut(console);
        }

        return captured.ToString();
    }

    private static JsonElement Reserved(List<JsonElement> history, string scope) =>
        Assert.Single(history, e => Text(e, "scope") == scope && Text(e, "event") == "reserved");

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static TimeSpan Lease(JsonElement reservation) =>
        DateTimeOffset.Parse(Text(reservation, "expires_at")!, System.Globalization.CultureInfo.InvariantCulture)
        - DateTimeOffset.Parse(Text(reservation, "created_at")!, System.Globalization.CultureInfo.InvariantCulture);

    private static int Occurrences(string text, string value) => (text.Length - text.Replace(value, string.Empty, StringComparison.Ordinal).Length) / value.Length;

    private static string ReadExample()
    {
        using var stream = typeof(AcceptanceExampleTests).Assembly.GetManifestResourceStream("AcceptanceExample.cs")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^src/api/\*\* until (?<expires>\S+), token (?<token>\d+)\r?\n$")]
    private static partial Regex Printed();
}
