namespace AgentSwarm.Swarm;

/// <summary>The directories of one run: a small repository the agents edit, the coordination root, workers and logs.</summary>
internal sealed class RunLayout(string root)
{
    /// <summary>The files of the simulated repository; the agents' scopes overlap on them.</summary>
    public static readonly string[] RepositoryFiles =
    [
        "src/auth/login.cs", "src/auth/session.cs", "src/api/users.cs", "src/api/orders.cs",
        "src/core/util.cs", "src/core/config.cs", "docs/auth.md", "docs/api.md",
        "tests/auth/login_tests.cs", "tests/api/users_tests.cs",
    ];

    public string Root { get; } = Path.GetFullPath(root);

    public string Repository => Path.Combine(Root, "repo");

    /// <summary>The coordination root of the file store (beadboard's layout).</summary>
    public string Store => Path.Combine(Root, "store");

    public string Logs => Path.Combine(Root, "logs");

    /// <summary>The worker directory of a role: its identity lock is <c>.runtime/agent.lock</c> in there.</summary>
    public string Worker(string role) => Path.Combine(Root, "workers", role);

    public string Log(string role, int pid) => Path.Combine(Logs, $"{role}-{pid}.jsonl");

    public static RunLayout CreateFresh(string? directory, IEnumerable<string> roles)
    {
        var layout = new RunLayout(directory ?? Path.Combine(Path.GetTempPath(), $"agentswarm-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}"));
        Directory.CreateDirectory(layout.Logs);
        Directory.CreateDirectory(layout.Store);
        foreach (var role in roles)
        {
            Directory.CreateDirectory(layout.Worker(role));
        }

        foreach (var file in RepositoryFiles)
        {
            var path = Path.Combine(layout.Repository, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, $"// {file}{Environment.NewLine}");
        }

        return layout;
    }
}
