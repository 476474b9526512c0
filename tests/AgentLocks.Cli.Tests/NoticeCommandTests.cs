using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Tests;

/// <summary>
/// Takeover notices on the file store, end to end: the message lands in beadboard's mail layout
/// (<c>messages/index/&lt;id&gt;.json</c> and the recipient's <c>messages/&lt;agent&gt;.jsonl</c>), <c>status --agent</c>
/// shows it, and <c>ack</c> acknowledges it in place.
/// </summary>
public sealed class NoticeCommandTests : IDisposable
{
    /// <summary>beadboard's message fields, in the order it writes them.</summary>
    private static readonly string[] BeadboardFields =
        ["message_id", "thread_id", "bead_id", "from_agent", "to_agent", "category", "subject", "body", "state", "requires_ack", "created_at", "read_at", "acked_at"];

    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-notices-").FullName;

    private string Root => Path.Combine(_dir, "agent");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_takeover_writes_a_beadboard_message_that_status_shows_until_ack()
    {
        foreach (var agent in new[] { "agent-a", "agent-b" })
        {
            (await CliAsync("agent", "register", "--agent", agent)).Succeeds("agent register");
        }

        (await CliAsync("reserve", "--agent", "agent-a", "--scope", "src/auth", "--bead", "bd-7", "--ttl", "5")).Succeeds("agent reserve");
        ExpireEverything();
        (await CliAsync("reserve", "--agent", "agent-b", "--scope", "src/auth", "--bead", "bd-8", "--takeover-stale")).Succeeds("agent reserve");

        var index = Assert.Single(Directory.GetFiles(Path.Combine(Root, "messages", "index")));
        var text = await File.ReadAllTextAsync(index);
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        var message = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(BeadboardFields, message.Select(p => p.Key));
        var id = (string)message["message_id"]!;
        Assert.Equal($"{id}.json", Path.GetFileName(index));
        Assert.Equal("agent-a", (string?)message["to_agent"]);
        Assert.Equal("agent-b", (string?)message["from_agent"]);
        Assert.Equal("bd-7", (string?)message["bead_id"]);
        Assert.True((bool)message["requires_ack"]!);
        var inbox = Assert.Single(await File.ReadAllLinesAsync(Path.Combine(Root, "messages", "agent-a.jsonl")));
        Assert.Equal(id, (string?)JsonNode.Parse(inbox)!["message_id"]);

        var status = (await CliAsync("status", "--agent", "agent-a")).Succeeds("agent status");
        Assert.Equal(id, Assert.Single(status.GetProperty("unacked_required_messages").EnumerateArray()).GetProperty("message_id").GetString());
        var human = await CliRunner.RunAsync(["status", "--agent", "agent-a"], Environment());
        Assert.Contains("awaiting acknowledgement", human.Stdout, StringComparison.Ordinal);
        Assert.Contains(id, human.Stdout, StringComparison.Ordinal);

        // A field beadboard (or a later version) adds survives the acknowledgement.
        message["x_priority"] = "high";
        await File.WriteAllTextAsync(index, message.ToJsonString());
        (await CliAsync("ack", "--agent", "agent-b", "--message", id)).Fails("ack", 4, "MESSAGE_NOT_FOUND");
        (await CliAsync("ack", "--agent", "agent-a", "--message", "../../agents/agent-a")).Fails("ack", 2, "INVALID_ARGS");
        var acked = (await CliAsync("ack", "--agent", "agent-a", "--message", id)).Succeeds("ack");
        Assert.Equal("acked", acked.GetProperty("state").GetString());

        var stored = JsonNode.Parse(await File.ReadAllTextAsync(index))!;
        Assert.Equal("acked", (string?)stored["state"]);
        Assert.NotNull((string?)stored["acked_at"]);
        Assert.Equal("high", (string?)stored["x_priority"]);
        Assert.Empty((await CliAsync("status", "--agent", "agent-a")).Succeeds("agent status").GetProperty("unacked_required_messages").EnumerateArray());
    }

    /// <summary>Moves every active reservation's expiry into the past, as time passing would.</summary>
    private void ExpireEverything()
    {
        var path = Path.Combine(Root, "reservations", "active.json");
        var active = JsonNode.Parse(File.ReadAllText(path))!;
        foreach (var reservation in active["reservations"]!.AsArray())
        {
            reservation!["expires_at"] = "2020-01-01T00:00:00.000Z";
        }

        File.WriteAllText(path, active.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private Dictionary<string, string?> Environment() => new(StringComparer.Ordinal) { ["AGENTLOCKS_ROOT"] = Root };

    private Task<CliResult> CliAsync(params string[] args) => CliRunner.RunAsync(["--json", .. args], Environment(), _dir);
}
