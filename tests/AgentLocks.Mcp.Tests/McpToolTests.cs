using System.Text.Json;

namespace AgentLocks.Mcp.Tests;

/// <summary>
/// Two agents, each its own <c>agentlocks mcp</c> process with its own client, on one store: what one reserves the
/// other is refused, with the holder named; the CLI sees the same reservations. Runs on each backend.
/// </summary>
public abstract class McpToolTests<TBackend> : IAsyncLifetime
    where TBackend : Backend, new()
{
    private readonly List<AgentSession> _sessions = [];

    protected TBackend Store { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var session in _sessions)
        {
            await session.DisposeAsync();
        }

        await Store.DropAsync();
    }

    [Fact]
    public async Task A_conflict_is_a_tool_error_that_names_holder_scope_bead_mode_expiry_and_what_to_do()
    {
        var a = await AgentAsync("agent-a");
        var b = await AgentAsync("agent-b");
        await a.OkAsync("reserve", """{"paths": ["src/auth/**"], "bead": "bd-7", "ttl_minutes": 30, "reason": "moving login to OAuth"}""");

        var refused = (await b.CallAsync("reserve", """{"paths": ["src/auth/login.cs"], "bead": "bd-9"}""")).Fails("RESERVATION_CONFLICT");

        var conflict = Assert.Single(refused.GetProperty("conflicts").EnumerateArray());
        Assert.Equal("agent-a", conflict.GetProperty("agent_id").GetString());
        Assert.Equal("src/auth/**", conflict.GetProperty("scope").GetString());
        Assert.Equal("bd-7", conflict.GetProperty("bead_id").GetString());
        Assert.Equal("exclusive", conflict.GetProperty("mode").GetString());
        Assert.Equal("moving login to OAuth", conflict.GetProperty("reason").GetString());
        Assert.InRange(conflict.GetProperty("expires_in_seconds").GetInt64(), 25 * 60, 30 * 60);
        var expires = DateTimeOffset.Parse(conflict.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(25), TimeSpan.FromMinutes(30));

        var text = (await b.CallAsync("reserve", """{"paths": ["src/auth/login.cs"], "bead": "bd-9"}""")).Text;
        Assert.Contains("agent agent-a", text, StringComparison.Ordinal);
        Assert.Contains("bead bd-7", text, StringComparison.Ordinal);
        Assert.Contains("src/auth/**", text, StringComparison.Ordinal);
        Assert.Contains("moving login to OAuth", text, StringComparison.Ordinal);
        Assert.Contains("What you can do", text, StringComparison.Ordinal);

        var held = Assert.Single((await b.OkAsync("status")).GetProperty("reservations").EnumerateArray());
        Assert.Equal("moving login to OAuth", held.GetProperty("reason").GetString());
        var holder = Assert.Single((await b.OkAsync("who_holds", """{"paths": ["src/auth/login.cs"]}""")).GetProperty("paths")[0].GetProperty("holders").EnumerateArray());
        Assert.Equal("moving login to OAuth", holder.GetProperty("reason").GetString());
        Assert.Equal("moving login to OAuth", (await Store.CliAsync("status")).GetProperty("reservations")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Reserve_is_all_or_nothing()
    {
        var a = await AgentAsync("agent-a");
        var b = await AgentAsync("agent-b");
        await a.OkAsync("reserve", """{"paths": ["src/core"], "bead": "bd-1"}""");

        (await b.CallAsync("reserve", """{"paths": ["docs/guide.md", "src/core/engine.cs", "tests/a.cs"], "bead": "bd-2"}""")).Fails("RESERVATION_CONFLICT");

        var answer = await a.OkAsync("who_holds", """{"paths": ["docs/guide.md", "tests/a.cs"]}""");
        Assert.All(answer.GetProperty("paths").EnumerateArray(), p => Assert.Equal("free", p.GetProperty("verdict").GetString()));

        var granted = await b.OkAsync("reserve", """{"paths": ["docs/guide.md", "tests/a.cs"], "bead": "bd-2"}""");
        Assert.Equal(["docs/guide.md", "tests/a.cs"], Scopes(granted.GetProperty("reservations")));
    }

    [Fact]
    public async Task Release_by_path_and_all_frees_the_scopes_for_the_other_agent()
    {
        var a = await AgentAsync("agent-a");
        var b = await AgentAsync("agent-b");
        await a.OkAsync("reserve", """{"paths": ["src/a", "src/b", "src/c"], "bead": "bd-1"}""");

        var released = await a.OkAsync("release", """{"paths": ["src/a"]}""");
        Assert.Equal(["src/a"], Scopes(released.GetProperty("released")));
        await b.OkAsync("reserve", """{"paths": ["src/a"], "bead": "bd-2"}""");
        (await b.CallAsync("reserve", """{"paths": ["src/b"], "bead": "bd-2"}""")).Fails("RESERVATION_CONFLICT");

        var all = await a.OkAsync("release", """{"all": true}""");
        Assert.Equal(["src/b", "src/c"], Scopes(all.GetProperty("released")).Order());
        await b.OkAsync("reserve", """{"paths": ["src/b", "src/c"], "bead": "bd-2"}""");

        // Another agent's reservation is not released by a: the failure is named, nothing is touched.
        var notHeld = (await a.CallAsync("release", """{"paths": ["src/b"]}""")).Fails("RELEASE_FORBIDDEN");
        Assert.Equal("src/b", Assert.Single(notHeld.GetProperty("failed").EnumerateArray()).GetProperty("scope").GetString());
        Assert.Equal(3, (await Store.CliAsync("status", "--agent", "agent-b")).GetProperty("reservations").GetArrayLength());
    }

    [Fact]
    public async Task Renew_extends_named_or_all_leases()
    {
        var a = await AgentAsync("agent-a");
        var first = await a.OkAsync("reserve", """{"paths": ["src/a", "src/b"], "bead": "bd-1", "ttl_minutes": 5}""");
        Assert.All(first.GetProperty("reservations").EnumerateArray(), r => Assert.True(ExpiresIn(r) <= TimeSpan.FromMinutes(5)));

        var one = await a.OkAsync("renew", """{"paths": ["src/a"], "ttl_minutes": 60}""");
        Assert.True(ExpiresIn(Assert.Single(one.GetProperty("renewed").EnumerateArray())) > TimeSpan.FromMinutes(55));

        var all = await a.OkAsync("renew", """{"all": true, "ttl_minutes": 600}""");
        Assert.Equal(2, all.GetProperty("renewed").GetArrayLength());
        Assert.All(all.GetProperty("renewed").EnumerateArray(), r => Assert.True(ExpiresIn(r) > TimeSpan.FromMinutes(595)));

        (await a.CallAsync("renew", """{"paths": ["src/none"]}""")).Fails("RESERVATION_NOT_FOUND");
    }

    [Fact]
    public async Task Touch_renews_the_covering_reservations_that_are_past_half_their_lease()
    {
        var a = await AgentAsync("agent-a");
        await a.OkAsync("reserve", """{"paths": ["src/auth/**"], "bead": "bd-1", "ttl_minutes": 5}""");
        await a.OkAsync("reserve", """{"paths": ["docs"], "bead": "bd-1", "ttl_minutes": 5}""");

        var touched = await a.OkAsync("touch", """{"paths": ["src/auth/login.cs"], "ttl_minutes": 60}""");
        Assert.Equal(1, touched.GetProperty("covering").GetInt32());
        Assert.True(ExpiresIn(Assert.Single(touched.GetProperty("renewed").EnumerateArray())) > TimeSpan.FromMinutes(55));

        // Fresh now: another touch writes nothing; the reservation it did not cover kept its lease.
        var again = await a.OkAsync("touch", """{"paths": ["src/auth/login.cs"], "ttl_minutes": 60}""");
        Assert.Equal(0, again.GetProperty("renewed").GetArrayLength());
        var docs = await a.OkAsync("status", """{"path": "docs"}""");
        Assert.True(ExpiresIn(Assert.Single(docs.GetProperty("reservations").EnumerateArray())) <= TimeSpan.FromMinutes(5));

        var nothing = await a.OkAsync("touch", """{"paths": ["README.md"]}""");
        Assert.Equal(0, nothing.GetProperty("covering").GetInt32());
    }

    [Fact]
    public async Task Status_filters_by_agent_bead_and_path_and_who_holds_answers_per_path()
    {
        var a = await AgentAsync("agent-a");
        var b = await AgentAsync("agent-b");
        await a.OkAsync("reserve", """{"paths": ["src/api/**"], "bead": "bd-1"}""");
        await a.OkAsync("reserve", """{"paths": ["docs/*.md"], "bead": "bd-2", "mode": "shared"}""");
        await b.OkAsync("reserve", """{"paths": ["tests/api"], "bead": "bd-3"}""");

        Assert.Equal(["docs/*.md", "src/api/**"], Scopes((await b.OkAsync("status", """{"agent": "agent-a"}""")).GetProperty("reservations")).Order());
        Assert.Equal(["tests/api"], Scopes((await b.OkAsync("status", """{"agent": "me"}""")).GetProperty("reservations")));
        Assert.Equal(["docs/*.md"], Scopes((await b.OkAsync("status", """{"bead": "bd-2"}""")).GetProperty("reservations")));
        Assert.Equal(["src/api/**"], Scopes((await b.OkAsync("status", """{"path": "src/api/users.cs"}""")).GetProperty("reservations")));
        Assert.Equal(3, (await b.OkAsync("status")).GetProperty("summary").GetProperty("active").GetInt32());

        var answer = await b.OkAsync("who_holds", """{"paths": ["src/api/users.cs", "docs/intro.md", "tests/api/x.cs", "lib/free.cs"]}""");
        var verdicts = answer.GetProperty("paths").EnumerateArray().Select(p => p.GetProperty("verdict").GetString()).ToList();
        Assert.Equal(["held", "shared", "yours", "free"], verdicts);
        var holder = Assert.Single(answer.GetProperty("paths")[0].GetProperty("holders").EnumerateArray());
        Assert.Equal("agent-a", holder.GetProperty("agent_id").GetString());
        Assert.Equal("bd-1", holder.GetProperty("bead_id").GetString());
    }

    [Fact]
    public async Task A_waiting_reserve_is_granted_when_the_holder_releases()
    {
        var a = await AgentAsync("agent-a");
        var b = await AgentAsync("agent-b");
        await a.OkAsync("reserve", """{"paths": ["src/queue"], "bead": "bd-1"}""");

        var waiting = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = b.CallWithProgressAsync("reserve", """{"paths": ["src/queue/worker.cs"], "bead": "bd-2", "wait_seconds": 300}""", waiting);
        Assert.Contains("agent-a", await waiting.Task.WaitAsync(TimeSpan.FromSeconds(60)), StringComparison.Ordinal);
        Assert.False(call.IsCompleted);

        await a.OkAsync("release", """{"all": true}""");

        var granted = (await call.WaitAsync(TimeSpan.FromSeconds(60))).Succeeds();
        Assert.Equal("src/queue/worker.cs", granted.GetProperty("reservations")[0].GetProperty("scope").GetString());
    }

    [Fact]
    public async Task A_wait_that_runs_out_is_the_conflict_with_its_holder()
    {
        var a = await AgentAsync("agent-a");
        var b = await AgentAsync("agent-b");
        await a.OkAsync("reserve", """{"paths": ["src/queue"], "bead": "bd-1"}""");

        var refused = (await b.CallAsync("reserve", """{"paths": ["src/queue"], "bead": "bd-2", "wait_seconds": 1}""")).Fails("RESERVATION_CONFLICT");

        Assert.Equal("agent-a", refused.GetProperty("conflicts")[0].GetProperty("agent_id").GetString());
    }

    [Fact]
    public async Task A_client_that_leaves_during_a_wait_ends_its_server_and_holds_nothing()
    {
        var a = await AgentAsync("agent-a");
        await a.OkAsync("reserve", """{"paths": ["src/queue"], "bead": "bd-1"}""");
        using var b = RawServer.Start([.. Store.Options, "--agent", "agent-b"]);
        await b.InitializeAsync();

        await b.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"reserve","arguments":{"paths":["src/queue"],"bead":"bd-2","wait_seconds":600},"_meta":{"progressToken":"wait-1"}}}""");
        var progress = await b.ReadUntilAsync(m => m.TryGetProperty("method", out var method) && method.GetString() == "notifications/progress");
        Assert.Contains("agent-a", progress.GetProperty("params").GetProperty("message").GetString(), StringComparison.Ordinal);

        Assert.Equal(0, await b.DisconnectAsync());

        // The holder lets go after the waiter left: the waiter's reservation must not appear.
        await a.OkAsync("release", """{"all": true}""");
        var status = await Store.CliAsync("status");
        Assert.Equal(0, status.GetProperty("reservations").GetArrayLength());
    }

    [Fact]
    public async Task Shared_reservations_coexist_and_an_exclusive_one_conflicts_with_them()
    {
        var a = await AgentAsync("agent-a");
        var b = await AgentAsync("agent-b");
        await a.OkAsync("reserve", """{"paths": ["schema.sql"], "bead": "bd-1", "mode": "shared"}""");
        await b.OkAsync("reserve", """{"paths": ["schema.sql"], "bead": "bd-2", "mode": "SHARED"}""");

        var refused = (await b.CallAsync("reserve", """{"paths": ["schema.sql"], "bead": "bd-2", "mode": "exclusive"}""")).Fails("RESERVATION_CONFLICT");
        Assert.Equal("shared", Assert.Single(refused.GetProperty("conflicts").EnumerateArray()).GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Reservations_made_through_MCP_are_ordinary_reservations()
    {
        var a = await AgentAsync("agent-a");
        var made = await a.OkAsync("reserve", """{"paths": ["src/billing"], "bead": "bd-5", "ttl_minutes": 45}""");
        var id = made.GetProperty("reservations")[0].GetProperty("reservation_id").GetString();

        var listed = Assert.Single((await Store.CliAsync("status")).GetProperty("reservations").EnumerateArray());
        Assert.Equal(id, listed.GetProperty("reservation_id").GetString());
        Assert.Equal("agent-a", listed.GetProperty("agent_id").GetString());
        Assert.Equal("bd-5", listed.GetProperty("bead_id").GetString());

        // And the other way: what the CLI reserves, an MCP agent is refused.
        await Store.CliAsync("agent", "register", "--agent", "agent-cli");
        await Store.CliAsync("reserve", "--agent", "agent-cli", "--scope", "infra/**", "--bead", "bd-6");
        var b = await AgentAsync("agent-b");
        var refused = (await b.CallAsync("reserve", """{"paths": ["infra/main.tf"], "bead": "bd-7"}""")).Fails("RESERVATION_CONFLICT");
        Assert.Equal("agent-cli", refused.GetProperty("conflicts")[0].GetProperty("agent_id").GetString());

        // A release through MCP is a release for the CLI too.
        await a.OkAsync("release", """{"paths": ["src/billing"]}""");
        Assert.DoesNotContain((await Store.CliAsync("status")).GetProperty("reservations").EnumerateArray(), r => r.GetProperty("agent_id").GetString() == "agent-a");
    }

    [Fact]
    public async Task Without_agent_the_server_asks_for_register_and_then_serves_that_agent_only()
    {
        var session = await AgentSession.StartAsync(Store.Options);
        _sessions.Add(session);

        var unknown = (await session.CallAsync("reserve", """{"paths": ["src"], "bead": "bd-1"}""")).Fails("AGENT_NOT_FOUND");
        Assert.Contains("register", unknown.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        var registered = await session.OkAsync("register", """{"agent": "agent-z", "role": "backend", "display_name": "Zed"}""");
        Assert.Equal("agent-z", registered.GetProperty("agent").GetProperty("agent_id").GetString());
        await session.OkAsync("reserve", """{"paths": ["src"], "bead": "bd-1"}""");
        (await session.CallAsync("register", """{"agent": "agent-y"}""")).Fails("INVALID_ARGS");
        Assert.Equal("agent-z", (await Store.CliAsync("status")).GetProperty("reservations")[0].GetProperty("agent_id").GetString());
    }

    [Fact]
    public async Task The_agent_comes_from_AGENTLOCKS_AGENT_and_is_registered_on_first_use()
    {
        var session = await AgentSession.StartAsync(Store.Options, new Dictionary<string, string?> { ["AGENTLOCKS_AGENT"] = "agent-env" });
        _sessions.Add(session);

        await session.OkAsync("reserve", """{"paths": ["src"], "bead": "bd-1"}""");

        Assert.Equal("agent-env", (await Store.CliAsync("status")).GetProperty("reservations")[0].GetProperty("agent_id").GetString());
    }

    [Fact]
    public async Task A_takeover_leaves_a_notice_in_the_first_agents_messages_until_ack()
    {
        var a = await AgentAsync("agent-a");
        var b = await AgentAsync("agent-b");
        await a.OkAsync("reserve", """{"paths": ["src/auth"], "bead": "bd-1"}""");
        await Store.ExpireEverythingAsync();
        await b.OkAsync("reserve", """{"paths": ["src/auth"], "bead": "bd-2", "takeover_stale": true}""");

        var notice = Assert.Single((await a.OkAsync("messages")).GetProperty("messages").EnumerateArray());
        var id = notice.GetProperty("message_id").GetString()!;
        Assert.Equal("agent-b", notice.GetProperty("from_agent").GetString());
        Assert.Empty((await b.OkAsync("messages")).GetProperty("messages").EnumerateArray());

        (await b.CallAsync("ack", $$"""{"message_id": "{{id}}"}""")).Fails("MESSAGE_NOT_FOUND");
        (await a.CallAsync("ack", """{"message_id": "msg_no_such_message"}""")).Fails("MESSAGE_NOT_FOUND");
        Assert.Single((await a.OkAsync("messages")).GetProperty("messages").EnumerateArray());

        var acked = await a.OkAsync("ack", $$"""{"message_id": "{{id}}"}""");

        Assert.Equal(id, acked.GetProperty("message").GetProperty("message_id").GetString());
        Assert.Empty((await a.OkAsync("messages")).GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task Bad_arguments_of_every_kind_are_INVALID_ARGS_tool_errors_and_the_server_keeps_serving()
    {
        var a = await AgentAsync("agent-a");
        string[][] calls =
        [
            ["no_such_tool", "{}"],
            ["reserve", "{}"],
            ["reserve", """{"bead": "bd-1"}"""],
            ["reserve", """{"paths": ["src"]}"""],
            ["reserve", """{"paths": 5, "bead": "bd-1"}"""],
            ["reserve", """{"paths": {"a": 1}, "bead": "bd-1"}"""],
            ["reserve", """{"paths": [], "bead": "bd-1"}"""],
            ["reserve", """{"paths": [1, 2], "bead": "bd-1"}"""],
            ["reserve", """{"paths": [""], "bead": "bd-1"}"""],
            ["reserve", """{"paths": ["src/../etc"], "bead": "bd-1"}"""],
            ["reserve", """{"paths": ["src//a"], "bead": "bd-1"}"""],
            ["reserve", """{"paths": ["src"], "bead": ""}"""],
            ["reserve", """{"paths": ["src"], "bead": " bd-1 "}"""],
            ["reserve", """{"paths": ["src"], "bead": 42}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "ttl_minutes": 4}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "ttl_minutes": 1441}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "ttl_minutes": 1.5}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "ttl_minutes": "10abc"}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "ttl_minutes": 1e300}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "ttl_minutes": true}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "mode": "exclusve"}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "takeover_stale": "maybe"}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "note": "unknown argument"}"""],
            ["reserve", """{"paths": ["src"], "bead": "bd-1", "reason": 5}"""],
            ["reserve", $$"""{"paths": [{{string.Join(", ", Enumerable.Range(0, 101).Select(i => $"\"f{i}\""))}}], "bead": "bd-1"}"""],
            ["release", "{}"],
            ["release", """{"paths": ["src"], "all": true}"""],
            ["renew", """{"all": true, "ttl_minutes": 0}"""],
            ["touch", "{}"],
            ["status", """{"agent": "Not An Agent"}"""],
            ["status", """{"bead": "bd-1 "}"""],
            ["status", """{"path": ["a", "b"]}"""],
            ["who_holds", """{"paths": null}"""],
            ["messages", """{"all": true}"""],
            ["ack", "{}"],
            ["ack", """{"message_id": ""}"""],
            ["ack", """{"message_id": 7}"""],
            ["ack", """{"message_id": "../../agents/agent-a"}"""],
            ["register", """{"agent": "x"}"""],
        ];

        foreach (var call in calls)
        {
            var answer = await a.CallAsync(call[0], call[1]);
            Assert.True(answer.Result.IsError is true, $"{call[0]} {call[1]} should be INVALID_ARGS: {answer.Text}");
            answer.Fails("INVALID_ARGS");
        }

        Assert.Equal(0, (await a.OkAsync("status")).GetProperty("summary").GetProperty("active").GetInt32());
        await a.OkAsync("reserve", """{"paths": ["src"], "bead": "bd-1", "ttl_minutes": "10"}""");
    }

    private protected async Task<AgentSession> AgentAsync(string agent)
    {
        var session = await AgentSession.StartAsync([.. Store.Options, "--agent", agent]);
        _sessions.Add(session);
        return session;
    }

    private static List<string?> Scopes(JsonElement reservations) => [.. reservations.EnumerateArray().Select(r => r.GetProperty("scope").GetString())];

    private static TimeSpan ExpiresIn(JsonElement reservation)
        => DateTimeOffset.Parse(reservation.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow;
}

/// <summary>The tools on the file store.</summary>
public sealed class FileStoreMcpToolTests : McpToolTests<FileBackend>;

/// <summary>The tools on PostgreSQL.</summary>
public sealed class PostgresMcpToolTests : McpToolTests<PostgresBackend>;
