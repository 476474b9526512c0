using System.Text.Json;

namespace AgentLocks.Cli.Tests;

/// <summary>
/// The commit guard, end to end: a real temporary repository, the hooks installed by <c>guard install</c>, and real
/// <c>git commit</c> / <c>git push</c> runs by two agents told apart by <c>AGENTLOCKS_AGENT</c>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class GuardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-guard-").FullName;

    private string Root => Path.Combine(_dir, "store");

    private string RepoPath => Path.Combine(_dir, "repo");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_commit_touching_another_agents_exclusive_reservation_is_refused_with_holder_scope_bead_and_expiry()
    {
        var repo = await SetUpAsync();
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-b", "--scope", "src/auth", "--bead", "bd-7")).Succeeds("agent reserve");
        repo.Write("src/auth/login.cs", "changed by a\n");
        await repo.SucceedsAsync("add", "-A");

        var refused = await repo.RunAsync(["commit", "-m", "a edits auth"], As("agent-a"));

        Assert.NotEqual(0, refused.ExitCode);
        var output = refused.Stdout + refused.Stderr;
        Assert.Contains("src/auth/login.cs", output, StringComparison.Ordinal);
        Assert.Contains("agent-b", output, StringComparison.Ordinal);
        Assert.Contains("scope src/auth", output, StringComparison.Ordinal);
        Assert.Contains("bead bd-7", output, StringComparison.Ordinal);
        Assert.Matches(@"until \d{4}-\d\d-\d\dT", output);
        Assert.Contains("--no-verify", output, StringComparison.Ordinal);
        Assert.Equal(1, await CommitCountAsync(repo));

        // The holder commits the same change; git's own --no-verify is the escape for anyone else.
        await CommitSucceedsAsync(repo, "agent-b");
        repo.Write("src/auth/login.cs", "again by a\n");
        await repo.SucceedsAsync("add", "-A");
        Assert.Equal(0, (await repo.RunAsync(["commit", "-q", "--no-verify", "-m", "bypass"], As("agent-a"))).ExitCode);
        Assert.Equal(3, await CommitCountAsync(repo));
    }

    [Fact]
    public async Task Free_and_own_paths_commit_and_the_identity_may_come_from_git_config()
    {
        var repo = await SetUpAsync();
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-a", "--scope", "src/auth/**", "--bead", "bd-7")).Succeeds("agent reserve");
        repo.Write("src/auth/login.cs", "mine\n");
        repo.Write("docs/free.md", "free\n");
        await repo.SucceedsAsync("add", "-A");
        await repo.SucceedsAsync("config", "agentlocks.agent", "agent-a");

        var committed = await repo.RunAsync(["commit", "-q", "-m", "a edits its own scope"], As(null));

        Assert.True(committed.ExitCode == 0, committed.Stdout + committed.Stderr);
    }

    [Fact]
    public async Task With_no_identity_any_reserved_path_is_refused_unless_warn_only()
    {
        var repo = await SetUpAsync();
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-b", "--scope", "src/auth", "--bead", "bd-7", "--shared")).Succeeds("agent reserve");
        repo.Write("src/auth/login.cs", "anonymous\n");
        await repo.SucceedsAsync("add", "-A");

        var refused = await repo.RunAsync(["commit", "-m", "who am I"], As(null));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("AGENTLOCKS_AGENT", refused.Stdout + refused.Stderr, StringComparison.Ordinal);

        // Reinstalled with --warn-only, the same commit passes with a warning.
        (await CliAsync(repo.Path, "guard", "install", "--warn-only")).Succeeds("guard install");
        var warned = await repo.RunAsync(["commit", "-m", "who am I"], As(null));
        Assert.True(warned.ExitCode == 0, warned.Stdout + warned.Stderr);
        Assert.Contains("warning", warned.Stdout + warned.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_agents_shared_reservation_only_warns()
    {
        var repo = await SetUpAsync();
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-b", "--scope", "docs", "--bead", "bd-7", "--shared")).Succeeds("agent reserve");
        repo.Write("docs/guide.md", "shared\n");
        await repo.SucceedsAsync("add", "-A");

        var committed = await repo.RunAsync(["commit", "-m", "shared docs"], As("agent-a"));

        Assert.True(committed.ExitCode == 0, committed.Stdout + committed.Stderr);
        Assert.Contains("warning: docs/guide.md: reserved by agent-b (shared", committed.Stdout + committed.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("src/auth/with space.cs")]
    [InlineData("src/auth/naïve-ünïcode.cs")]
    [InlineData("src/auth/new\nline.cs")]
    [InlineData("src/auth/star*name?.cs")]
    public async Task Odd_file_names_are_still_covered(string name)
    {
        var repo = await SetUpAsync();
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-b", "--scope", "src/auth", "--bead", "bd-7")).Succeeds("agent reserve");
        repo.Write(name, "odd\n");
        await repo.SucceedsAsync("add", "-A");

        var refused = await repo.RunAsync(["commit", "-m", "odd name"], As("agent-a"));

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("reserved by agent-b", refused.Stdout + refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renames_out_of_a_reserved_scope_and_deletions_are_refused()
    {
        var repo = await SetUpAsync();
        repo.Write("src/auth/login.cs", "original\n");
        repo.Write("src/auth/old.cs", "old\n");
        await CommitSucceedsAsync(repo, "agent-a");
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-b", "--scope", "src/auth", "--bead", "bd-7")).Succeeds("agent reserve");

        // git sees a rename; the source side is in agent-b's scope, the destination is free.
        Directory.CreateDirectory(Path.Combine(repo.Path, "src", "free"));
        await repo.SucceedsAsync("mv", "src/auth/login.cs", "src/free/login.cs");
        var renamed = await repo.RunAsync(["commit", "-m", "move it"], As("agent-a"));
        Assert.NotEqual(0, renamed.ExitCode);
        Assert.Contains("src/auth/login.cs", renamed.Stdout + renamed.Stderr, StringComparison.Ordinal);

        await repo.SucceedsAsync("reset", "-q", "--hard");
        await repo.SucceedsAsync("rm", "-q", "src/auth/old.cs");
        var deleted = await repo.RunAsync(["commit", "-m", "delete it"], As("agent-a"));
        Assert.NotEqual(0, deleted.ExitCode);
        Assert.Contains("src/auth/old.cs", deleted.Stdout + deleted.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_guard_works_in_every_worktree_and_absolute_scopes_in_another_worktree_count()
    {
        var repo = await SetUpAsync();
        var worktree = await repo.AddWorktreeAsync(Path.Combine(_dir, "wt-b"), "agent-b-branch");

        // agent-b reserves through its own worktree's absolute path, as beadboard stores it.
        (await CliAsync(worktree.Path, "reserve", "--agent", "agent-b", "--scope", Path.Combine(worktree.Path, "src", "auth"), "--bead", "bd-7")).Succeeds("agent reserve");

        // agent-a, in the main checkout, cannot reserve it relatively ...
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-a", "--scope", "src/auth/login.cs", "--bead", "bd-8")).Fails("agent reserve", 3, "RESERVATION_CONFLICT");

        // ... nor commit it; and a third worktree's commit is refused too (the hook lives in the common directory).
        repo.Write("src/auth/login.cs", "a\n");
        await repo.SucceedsAsync("add", "-A");
        Assert.NotEqual(0, (await repo.RunAsync(["commit", "-m", "a"], As("agent-a"))).ExitCode);
        var third = await repo.AddWorktreeAsync(Path.Combine(_dir, "wt-c"), "agent-c-branch");
        third.Write("src/auth/login.cs", "c\n");
        await third.SucceedsAsync("add", "-A");
        var refused = await third.RunAsync(["commit", "-m", "c"], As("agent-c"));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("reserved by agent-b", refused.Stdout + refused.Stderr, StringComparison.Ordinal);

        // In its own worktree, agent-b commits.
        worktree.Write("src/auth/login.cs", "b\n");
        await worktree.SucceedsAsync("add", "-A");
        var own = await worktree.RunAsync(["commit", "-q", "-m", "b"], As("agent-b"));
        Assert.True(own.ExitCode == 0, own.Stdout + own.Stderr);
    }

    [Fact]
    public async Task Install_chains_an_existing_hook_is_idempotent_and_uninstall_restores_it()
    {
        var repo = await GitRepository.CreateAsync(RepoPath);
        var hook = Path.Combine(RepoPath, ".git", "hooks", "pre-commit");
        var marker = Path.Combine(_dir, "existing-hook-ran");
        var original = $"#!/bin/sh\necho ran >> '{marker}'\n[ -e '{Path.Combine(_dir, "veto")}' ] && exit 9\nexit 0\n";
        await File.WriteAllTextAsync(hook, original);
        File.SetUnixFileMode(hook, (UnixFileMode)Convert.ToInt32("755", 8));

        (await CliAsync(repo.Path, "guard", "install")).Succeeds("guard install");
        (await CliAsync(repo.Path, "guard", "install")).Succeeds("guard install");
        Assert.Equal(original, await File.ReadAllTextAsync(hook + ".agentlocks-chained"));

        await RegisterAsync(repo.Path);
        repo.Write("a.txt", "a\n");
        await CommitSucceedsAsync(repo, "agent-a");
        Assert.Equal(["ran"], await File.ReadAllLinesAsync(marker));

        // The chained hook's refusal still stops the commit.
        await File.WriteAllTextAsync(Path.Combine(_dir, "veto"), string.Empty);
        repo.Write("b.txt", "b\n");
        await repo.SucceedsAsync("add", "-A");
        Assert.NotEqual(0, (await repo.RunAsync(["commit", "-m", "vetoed"], As("agent-a"))).ExitCode);

        var removed = (await CliAsync(repo.Path, "guard", "uninstall")).Succeeds("guard uninstall");
        Assert.Equal(2, removed.GetProperty("removed").GetArrayLength());
        Assert.Equal(original, await File.ReadAllTextAsync(hook));
        Assert.False(File.Exists(hook + ".agentlocks-chained"));
        Assert.False(File.Exists(Path.Combine(RepoPath, ".git", "hooks", "pre-push")));
    }

    [Fact]
    public async Task Install_follows_core_hooks_path()
    {
        var repo = await GitRepository.CreateAsync(RepoPath);
        await repo.SucceedsAsync("config", "core.hooksPath", ".githooks");

        (await CliAsync(repo.Path, "guard", "install")).Succeeds("guard install");
        Assert.True(File.Exists(Path.Combine(RepoPath, ".githooks", "pre-commit")));

        await RegisterAsync(repo.Path);
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-b", "--scope", "src", "--bead", "bd-7")).Succeeds("agent reserve");
        repo.Write("src/x.cs", "x\n");
        await repo.SucceedsAsync("add", "src/x.cs");
        Assert.NotEqual(0, (await repo.RunAsync(["commit", "-m", "x"], As("agent-a"))).ExitCode);
    }

    [Fact]
    public async Task As_pre_push_it_refuses_a_push_whose_commits_touch_another_agents_scope()
    {
        var repo = await SetUpAsync();
        var remote = Path.Combine(_dir, "remote.git");
        await repo.SucceedsAsync("init", "-q", "--bare", remote);
        await repo.SucceedsAsync("remote", "add", "origin", remote);
        Assert.Equal(0, (await repo.RunAsync(["push", "-q", "origin", "main"], As("agent-a"))).ExitCode);

        // Committed while the scope was free (or with --no-verify), pushed after agent-b reserved it.
        repo.Write("src/auth/login.cs", "a\n");
        await CommitSucceedsAsync(repo, "agent-a");
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-b", "--scope", "src/auth", "--bead", "bd-7")).Succeeds("agent reserve");

        var refused = await repo.RunAsync(["push", "origin", "main"], As("agent-a"));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("src/auth/login.cs: reserved by agent-b", refused.Stdout + refused.Stderr, StringComparison.Ordinal);

        // A new branch pushes what no remote has: the same commit is refused there too; agent-b may push it.
        Assert.NotEqual(0, (await repo.RunAsync(["push", "origin", "main:feature"], As("agent-a"))).ExitCode);
        Assert.Equal(0, (await repo.RunAsync(["push", "-q", "origin", "main"], As("agent-b"))).ExitCode);
    }

    [Fact]
    public async Task Check_answers_free_ours_and_held_with_exit_0_0_3_and_one_envelope()
    {
        var repo = await SetUpAsync();
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-a", "--scope", "src/mine", "--bead", "bd-1")).Succeeds("agent reserve");
        (await CliAsync(repo.Path, "reserve", "--agent", "agent-b", "--scope", "src/auth/**", "--bead", "bd-7")).Succeeds("agent reserve");

        var free = (await CliAsync(repo.Path, "check", "--agent", "agent-a", "--path", "README.md", "--path", "src/mine/x.cs")).Succeeds("check");
        Assert.False(free.GetProperty("held").GetBoolean());
        Assert.Equal(["free", "ours"], free.GetProperty("paths").EnumerateArray().Select(p => p.GetProperty("state").GetString()));

        var held = await CliAsync(repo.Path, "check", "--agent", "agent-a", "--path", Path.Combine(repo.Path, "src", "auth", "login.cs"));
        Assert.Equal(3, held.ExitCode);
        var data = held.Envelope.GetProperty("data");
        Assert.True(data.GetProperty("held").GetBoolean());
        var holder = Assert.Single(Assert.Single(data.GetProperty("paths").EnumerateArray()).GetProperty("holders").EnumerateArray());
        Assert.Equal("agent-b", holder.GetProperty("agent_id").GetString());
        Assert.Equal("bd-7", holder.GetProperty("bead_id").GetString());

        (await CliAsync(repo.Path, "check", "--agent", "agent-a")).Fails("check", 2, "INVALID_ARGS");
    }

    /// <summary>A repository with the guard installed and agents a, b, c registered.</summary>
    private async Task<GitRepository> SetUpAsync()
    {
        var repo = await GitRepository.CreateAsync(RepoPath);
        (await CliAsync(repo.Path, "guard", "install")).Succeeds("guard install");
        await RegisterAsync(repo.Path);
        return repo;
    }

    private async Task RegisterAsync(string directory)
    {
        foreach (var agent in new[] { "agent-a", "agent-b", "agent-c" })
        {
            (await CliAsync(directory, "agent", "register", "--agent", agent)).Succeeds("agent register");
        }
    }

    private async Task CommitSucceedsAsync(GitRepository repo, string agent)
    {
        await repo.SucceedsAsync("add", "-A");
        var result = await repo.RunAsync(["commit", "-q", "-m", $"by {agent}"], As(agent));
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
    }

    private static async Task<int> CommitCountAsync(GitRepository repo)
        => int.Parse((await repo.RunAsync(["rev-list", "--count", "HEAD"])).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private Dictionary<string, string?> As(string? agent)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["AGENTLOCKS_ROOT"] = Root };
        if (agent is not null)
        {
            environment["AGENTLOCKS_AGENT"] = agent;
        }

        return environment;
    }

    private Task<CliResult> CliAsync(string directory, params string[] args)
        => CliRunner.RunAsync(["--json", .. args], new Dictionary<string, string?> { ["AGENTLOCKS_ROOT"] = Root }, directory);
}
