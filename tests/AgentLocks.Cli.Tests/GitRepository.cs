using System.Diagnostics;

namespace AgentLocks.Cli.Tests;

/// <summary>A real temporary git repository with one commit, and git run in it as an agent would run it.</summary>
internal sealed class GitRepository
{
    private GitRepository(string path) => Path = path;

    public string Path { get; }

    public static async Task<GitRepository> CreateAsync(string path)
    {
        Directory.CreateDirectory(path);
        var repository = new GitRepository(path);
        await repository.SucceedsAsync("init", "-q", "-b", "main");
        await repository.SucceedsAsync("config", "user.email", "agent@example.com");
        await repository.SucceedsAsync("config", "user.name", "Agent");
        repository.Write("README.md", "hello\n");
        await repository.SucceedsAsync("add", "-A");
        await repository.SucceedsAsync("commit", "-q", "-m", "initial");
        return repository;
    }

    /// <summary>A new <c>git worktree</c> of this repository, at <paramref name="path"/> on a new branch.</summary>
    public async Task<GitRepository> AddWorktreeAsync(string path, string branch)
    {
        await SucceedsAsync("worktree", "add", "-q", "-b", branch, path);
        return new GitRepository(path);
    }

    public void Write(string relative, string content)
    {
        var file = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content);
    }

    public async Task SucceedsAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"git {string.Join(' ', args)}: exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
    }

    /// <summary>Runs git with the agent's environment (the store root, the agent identity): what a hook it starts sees.</summary>
    public async Task<CliResult> RunAsync(string[] args, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "AGENTLOCKS_ROOT", "AGENTLOCKS_POSTGRES", "AGENTLOCKS_REPO", "AGENTLOCKS_AGENT", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
