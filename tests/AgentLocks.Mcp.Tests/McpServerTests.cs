using System.Text.Json;

namespace AgentLocks.Mcp.Tests;

/// <summary>The server as a protocol peer: its tool list, raw input it must survive, its life, its inbox.</summary>
public sealed class McpServerTests : IAsyncLifetime
{
    private readonly FileBackend _store = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _store.DropAsync();

    [Fact]
    public async Task Lists_every_tool_with_an_object_schema_and_a_description_written_for_a_model()
    {
        await using var session = await AgentSession.StartAsync([.. _store.Options, "--agent", "agent-a"]);
        Assert.Equal("agentlocks", session.Client.ServerInfo!.Name);
        Assert.Contains("reserve", session.Client.ServerInstructions!, StringComparison.Ordinal);

        var tools = (await session.Client.ListToolsAsync()).ToDictionary(t => t.Name);

        Assert.Equal(["ack", "messages", "register", "release", "renew", "reserve", "status", "touch", "who_holds"], tools.Keys.Order());
        foreach (var tool in tools.Values)
        {
            var schema = tool.JsonSchema;
            Assert.Equal("object", schema.GetProperty("type").GetString());
            Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
            Assert.Equal(JsonValueKind.Object, schema.GetProperty("properties").ValueKind);
            Assert.True(tool.Description.Length > 80, $"{tool.Name}: a model needs more than '{tool.Description}'");
        }

        var reserve = tools["reserve"].JsonSchema;
        Assert.Equal(["paths", "bead"], reserve.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("array", reserve.GetProperty("properties").GetProperty("paths").GetProperty("type").GetString());
        Assert.Equal(["exclusive", "shared"], reserve.GetProperty("properties").GetProperty("mode").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(5, reserve.GetProperty("properties").GetProperty("ttl_minutes").GetProperty("minimum").GetInt32());
        Assert.Equal(1440, reserve.GetProperty("properties").GetProperty("ttl_minutes").GetProperty("maximum").GetInt32());
        Assert.Contains("RESERVATION_CONFLICT", tools["reserve"].Description, StringComparison.Ordinal);
        Assert.True(tools["status"].ProtocolTool.Annotations?.ReadOnlyHint);
        Assert.False(tools["reserve"].ProtocolTool.Annotations?.ReadOnlyHint);
    }

    [Fact]
    public async Task Survives_malformed_input_and_answers_the_next_request_then_exits_cleanly_when_stdin_closes()
    {
        using var server = RawServer.Start([.. _store.Options, "--agent", "agent-a"]);
        await server.InitializeAsync();

        // Not JSON, JSON that is not JSON-RPC, a call without params, arguments that are not an object.
        await server.SendAsync("this is not json {");
        await server.SendAsync("[1, 2, 3]");
        await server.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"tools/call"}""");
        await server.SendAsync("""{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"reserve","arguments":"src"}}""");
        await server.SendAsync("""{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"reserve","arguments":{"paths":["src"],"bead":"bd-1"}}}""");

        var answer = await server.ReadUntilAsync(m => m.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && id.GetInt32() == 4);
        Assert.True(answer.GetProperty("result").GetProperty("structuredContent").GetProperty("ok").GetBoolean(), answer.ToString());

        Assert.Equal(0, await server.DisconnectAsync());

        // The reservation made before the client left is an ordinary lease: it stays until released or expired.
        Assert.Equal(1, (await _store.CliAsync("status")).GetProperty("reservations").GetArrayLength());
    }

    [Fact]
    public async Task Messages_lists_the_agents_unacknowledged_required_messages()
    {
        var index = Directory.CreateDirectory(Path.Combine(_store.Root, "messages", "index")).FullName;
        await File.WriteAllTextAsync(Path.Combine(index, "msg_1.json"), Message("msg_1", "agent-a", requiresAck: true, "Take over the login flow"));
        await File.WriteAllTextAsync(Path.Combine(index, "msg_2.json"), Message("msg_2", "agent-b", requiresAck: true, "Not for a"));
        await File.WriteAllTextAsync(Path.Combine(index, "msg_3.json"), Message("msg_3", "agent-a", requiresAck: false, "FYI"));
        await using var session = await AgentSession.StartAsync([.. _store.Options, "--agent", "agent-a"]);

        var answer = await session.CallAsync("messages");

        var message = Assert.Single(answer.Succeeds().GetProperty("messages").EnumerateArray());
        Assert.Equal("msg_1", message.GetProperty("message_id").GetString());
        Assert.Contains("Take over the login flow", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_absolute_path_under_the_repository_is_the_relative_scope_other_agents_reserve()
    {
        var repo = Directory.CreateDirectory(Path.Combine(_store.Root, "repo")).FullName;
        await using var a = await AgentSession.StartAsync([.. _store.Options, "--agent", "agent-a", "--repo", repo]);
        await using var b = await AgentSession.StartAsync([.. _store.Options, "--agent", "agent-b"]);

        var made = await a.OkAsync("reserve", $$"""{"paths": ["{{repo}}/src/auth/login.cs"], "bead": "bd-1"}""");
        Assert.Equal("src/auth/login.cs", made.GetProperty("reservations")[0].GetProperty("scope").GetString());

        (await b.CallAsync("reserve", """{"paths": ["src/auth"], "bead": "bd-2"}""")).Fails("RESERVATION_CONFLICT");
    }

    [Fact]
    public async Task Agents_in_two_worktrees_of_one_repository_and_the_CLI_meet_on_the_same_relative_scope()
    {
        var main = Directory.CreateDirectory(Path.Combine(_store.Root, "main")).FullName;
        var other = Path.Combine(_store.Root, "other");
        Git(main, "init", "--quiet");
        Git(main, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty", "-m", "init");
        Git(main, "worktree", "add", "--quiet", other);
        // One editor's server found its repository by git from the worktree it runs in, the other was given it.
        await using var a = await AgentSession.StartAsync([.. _store.Options, "--agent", "agent-a"], workingDirectory: other);
        await using var b = await AgentSession.StartAsync([.. _store.Options, "--agent", "agent-b"], new Dictionary<string, string?> { ["AGENTLOCKS_REPO"] = main });

        var made = await a.OkAsync("reserve", $$"""{"paths": ["{{other}}/src/auth/login.cs"], "bead": "bd-1"}""");
        Assert.Equal("src/auth/login.cs", made.GetProperty("reservations")[0].GetProperty("scope").GetString());

        (await b.CallAsync("reserve", $$"""{"paths": ["{{main}}/src/auth"], "bead": "bd-2"}""")).Fails("RESERVATION_CONFLICT");
        Assert.Equal("held", (await b.OkAsync("who_holds", $$"""{"paths": ["{{main}}/src/auth/login.cs"]}"""))
            .GetProperty("paths")[0].GetProperty("verdict").GetString());
        var cli = await _store.CliAsync("status");
        Assert.Equal("src/auth/login.cs", Assert.Single(cli.GetProperty("reservations").EnumerateArray()).GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Refuses_to_start_with_a_bad_agent_repository_or_json_and_says_why()
    {
        using var badAgent = RawServer.Start([.. _store.Options, "--agent", "Not_An_Agent"]);
        Assert.Equal(2, await badAgent.DisconnectAsync());
        Assert.Contains("INVALID_ARGS", await badAgent.Process.StandardError.ReadToEndAsync(), StringComparison.Ordinal);

        using var badRepo = RawServer.Start([.. _store.Options, "--agent", "agent-a", "--repo", Path.Combine(_store.Root, "missing")]);
        Assert.Equal(2, await badRepo.DisconnectAsync());

        // stdout is the protocol: a JSON envelope there would corrupt it.
        using var json = RawServer.Start([.. _store.Options, "--agent", "agent-a", "--json"]);
        Assert.Equal(2, await json.DisconnectAsync());
    }

    private static void Git(string directory, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var git = System.Diagnostics.Process.Start(start)!;
        var error = git.StandardError.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
    }

    private static string Message(string id, string to, bool requiresAck, string subject) => $$"""
        {"message_id": "{{id}}", "thread_id": "bead:bd-1", "bead_id": "bd-1", "from_agent": "agent-lead", "to_agent": "{{to}}",
         "category": "HANDOFF", "subject": "{{subject}}", "body": "", "state": "unread", "requires_ack": {{(requiresAck ? "true" : "false")}},
         "created_at": "2026-11-23T18:54:00.000Z", "read_at": null, "acked_at": null}
        """;
}
