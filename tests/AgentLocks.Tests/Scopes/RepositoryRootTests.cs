using System.Diagnostics;

namespace AgentLocks.Tests.Scopes;

/// <summary><see cref="RepositoryRoot"/>: discovery from a real git repository and its worktrees, and which files a scope covers.</summary>
public sealed class RepositoryRootTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-repository-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Discover_finds_the_repository_and_every_worktree_from_any_directory_inside_one()
    {
        var main = Path.Combine(_dir, "main");
        var other = Path.Combine(_dir, "wt-b");
        Git(_dir, "init", "-q", "-b", "main", main);
        Git(main, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "initial");
        Git(main, "worktree", "add", "-q", "-b", "b", other);
        Directory.CreateDirectory(Path.Combine(other, "src", "auth"));

        var fromWorktree = RepositoryRoot.Discover(Path.Combine(other, "src", "auth"))!;
        var fromMain = RepositoryRoot.Discover(main)!;

        Assert.Equal(fromMain.Worktrees.Order(), fromWorktree.Worktrees.Order());
        Assert.Contains(main, fromMain.Worktrees);
        Assert.Contains(other, fromMain.Worktrees);
        Assert.Equal("src/auth", fromMain.Relative(ScopePattern.Parse(Path.Combine(other, "src", "auth"))).Value);
        Assert.Equal("src/**", fromMain.Relative(ScopePattern.Parse(main + "/src/**")).Value);
        Assert.Equal("**", fromMain.Relative(ScopePattern.Parse(main)).Value);
        Assert.Null(RepositoryRoot.Discover(_dir));
    }

    [Theory]
    [InlineData("src/auth", "src/auth/login.cs", true)]
    [InlineData("src/auth", "/repo/src/auth/login.cs", true)]
    [InlineData("/repo/src/auth", "src/auth/login.cs", true)]
    [InlineData("src/auth", "src/authz/login.cs", false)]
    [InlineData("src/auth", "src/auth/new\nline.cs", true)]
    [InlineData("src/auth", "src/auth/tab\there.cs", true)]
    [InlineData("src/auth", "src/auth/star*.cs", true)]
    [InlineData("src/auth", "src/auth/ trailing space ", true)]
    [InlineData("src/*.cs", "src/new\nline.cs", true)]
    [InlineData("src/*.cs", "src/sub/a.cs", false)]
    [InlineData("src/auth", "/elsewhere/src/auth/login.cs", false)]
    [InlineData("deploy:prod", "deploy:prod", false)]
    [InlineData("**", "deploy:prod", true)]
    public void Covers_any_file_name_under_a_scope(string scope, string path, bool covered)
        => Assert.Equal(covered, new RepositoryRoot(["/repo"]).Covers(ScopePattern.Parse(scope), path));

    private static void Git(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
    }
}
