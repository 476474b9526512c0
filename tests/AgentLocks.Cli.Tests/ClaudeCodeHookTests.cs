using System.Text.Json;

namespace AgentLocks.Cli.Tests;

/// <summary>
/// <c>hook claude-code</c> fed Claude Code's PreToolUse payloads on stdin: exit 0 allows, exit 2 blocks with the
/// reason on stderr (what reaches the model); an unreadable store fails open (exit 1, a non-blocking error).
/// </summary>
public sealed class ClaudeCodeHookTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-hook-").FullName;

    private string Root => Path.Combine(_dir, "store");

    private string Project => Path.Combine(_dir, "project");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> WritingPayloads => new()
    {
        { "Edit", """{"file_path": "FILE", "old_string": "a", "new_string": "b", "replace_all": false}""" },
        { "MultiEdit", """{"file_path": "FILE", "edits": [{"old_string": "a", "new_string": "b"}]}""" },
        { "Write", """{"file_path": "FILE", "content": "hello"}""" },
        { "NotebookEdit", """{"notebook_path": "FILE", "new_source": "print(1)", "cell_id": "c1", "edit_mode": "replace"}""" },
    };

    [Theory]
    [MemberData(nameof(WritingPayloads))]
    public async Task Another_agents_exclusive_scope_blocks_with_exit_2_naming_the_holder(string tool, string input)
    {
        await ReserveAsync("agent-b", "src/auth");

        var blocked = await HookAsync("agent-a", Payload(tool, input, Path.Combine(Project, "src", "auth", "login.ipynb")));

        Assert.Equal(2, blocked.ExitCode);
        Assert.Contains("reserved by agent-b", blocked.Stderr, StringComparison.Ordinal);
        Assert.Contains("bead bd-7", blocked.Stderr, StringComparison.Ordinal);
        Assert.Contains("agentlocks reserve --agent agent-a", blocked.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, blocked.Stdout);
    }

    [Theory]
    [MemberData(nameof(WritingPayloads))]
    public async Task Free_and_own_paths_are_allowed(string tool, string input)
    {
        await ReserveAsync("agent-a", "src/auth");

        // Relative paths are resolved against the payload's cwd.
        Assert.Equal(0, (await HookAsync("agent-a", Payload(tool, input, "src/auth/login.cs"))).ExitCode);
        Assert.Equal(0, (await HookAsync("agent-b", Payload(tool, input, Path.Combine(Project, "docs", "free.md")))).ExitCode);
    }

    [Fact]
    public async Task Reading_a_reserved_file_and_tools_without_files_are_allowed()
    {
        await ReserveAsync("agent-b", "src/auth");

        Assert.Equal(0, (await HookAsync("agent-a", Payload("Read", """{"file_path": "FILE"}""", Path.Combine(Project, "src", "auth", "login.cs")))).ExitCode);
        Assert.Equal(0, (await HookAsync("agent-a", Payload("Bash", """{"command": "ls"}""", "unused"))).ExitCode);
    }

    [Fact]
    public async Task With_no_identity_any_reserved_path_is_blocked_and_the_reason_says_how_to_set_one()
    {
        await ReserveAsync("agent-b", "src/auth");

        var blocked = await HookAsync(null, Payload("Write", """{"file_path": "FILE", "content": "x"}""", Path.Combine(Project, "src", "auth", "x.cs")));

        Assert.Equal(2, blocked.ExitCode);
        Assert.Contains("AGENTLOCKS_AGENT", blocked.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreadable_store_fails_open_with_a_non_blocking_error()
    {
        await ReserveAsync("agent-b", "src/auth");
        await File.AppendAllTextAsync(Path.Combine(Root, "reservations", "active.json"), "{ damaged");

        var allowed = await HookAsync("agent-a", Payload("Edit", """{"file_path": "FILE", "old_string": "a", "new_string": "b"}""", Path.Combine(Project, "src", "auth", "login.cs")));

        Assert.Equal(1, allowed.ExitCode);
        Assert.Contains("fail-open", allowed.Stderr, StringComparison.Ordinal);

        var garbage = await CliRunner.RunAsync(["hook", "claude-code"], Environment("agent-a"), Project, stdin: "not json");
        Assert.Equal(1, garbage.ExitCode);
    }

    private async Task ReserveAsync(string agent, string scope)
    {
        Directory.CreateDirectory(Project);
        foreach (var id in new[] { "agent-a", "agent-b" })
        {
            (await CliRunner.RunAsync(["--json", "agent", "register", "--agent", id], Environment(null), Project)).Succeeds("agent register");
        }

        (await CliRunner.RunAsync(["--json", "reserve", "--agent", agent, "--scope", scope, "--bead", "bd-7"], Environment(null), Project)).Succeeds("agent reserve");
    }

    /// <summary>A PreToolUse payload as Claude Code sends it, with FILE in the tool input replaced by <paramref name="file"/>.</summary>
    private string Payload(string tool, string input, string file)
    {
        var payload = $$"""
            {
              "session_id": "8a1f-session",
              "transcript_path": "/home/agent/.claude/projects/p/8a1f.jsonl",
              "cwd": {{JsonSerializer.Serialize(Project)}},
              "permission_mode": "default",
              "hook_event_name": "PreToolUse",
              "tool_name": {{JsonSerializer.Serialize(tool)}},
              "tool_input": {{input.Replace("\"FILE\"", JsonSerializer.Serialize(file), StringComparison.Ordinal)}}
            }
            """;
        using var parsed = JsonDocument.Parse(payload);
        return payload;
    }

    /// <summary>Runs the hook from elsewhere (Claude Code's process), so only the payload says where the project is.</summary>
    private Task<CliResult> HookAsync(string? agent, string payload)
        => CliRunner.RunAsync(["hook", "claude-code"], Environment(agent), _dir, stdin: payload);

    private Dictionary<string, string?> Environment(string? agent)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["AGENTLOCKS_ROOT"] = Root, ["AGENTLOCKS_REPO"] = Project };
        if (agent is not null)
        {
            environment["AGENTLOCKS_AGENT"] = agent;
        }

        return environment;
    }
}
