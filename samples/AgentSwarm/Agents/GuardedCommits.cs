using System.Diagnostics;
using System.Text.RegularExpressions;
using AgentLocks;
using AgentSwarm.Swarm;
using Npgsql;

namespace AgentSwarm.Agents;

/// <summary>
/// The run's repository is a git repository with the AgentLocks commit guard installed (<c>agentlocks guard
/// install</c>), and every agent commits its work through it: the guard refuses a commit touching another agent's
/// live exclusive reservation. Agents commit only the files they wrote while holding their scopes, so a swarm in
/// which everyone reserves has no refused commit; <see cref="DeliberateViolationAsync"/> shows one that is refused.
/// </summary>
internal static class GuardedCommits
{
    /// <summary>git's answer when another git process holds a lock file: the file.</summary>
    private static readonly Regex LockFile = new(@"Unable to create '([^']+\.lock)': File exists", RegexOptions.CultureInvariant);

    /// <summary>How old a git <c>.lock</c> file must be before it counts as left by a killed git (the kill -9 of the demo).</summary>
    private static readonly TimeSpan AbandonedLock = TimeSpan.FromSeconds(5);

    /// <summary>The agentlocks command built beside the sample.</summary>
    private static string Cli => Path.Combine(AppContext.BaseDirectory, "AgentLocks.Cli.dll");

    /// <summary>Turns the run's files into a repository with one commit and installs the guard.</summary>
    public static async Task InitAsync(RunLayout layout, SwarmOptions options)
    {
        await GitAsync(layout, options, null, "init", "-q", "-b", "main");
        await GitAsync(layout, options, null, "config", "user.email", "swarm@agentlocks.invalid");
        await GitAsync(layout, options, null, "config", "user.name", "AgentSwarm");
        await GitAsync(layout, options, null, "add", "-A");
        await GitAsync(layout, options, null, "commit", "-q", "--no-verify", "-m", "the repository the swarm works on");
        var install = await RunAsync("dotnet", [Cli, "guard", "install", "--repo", layout.Repository], layout.Repository, Environment(layout, options, null));
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"agentlocks guard install failed: {install.Output}");
        }
    }

    /// <summary>
    /// Commits exactly <paramref name="files"/> as <paramref name="agent"/> (<c>git commit --only</c>, so what others
    /// staged is not included); null when committed, else the guard's refusal. Commits queue behind each other (git
    /// holds the index lock while the hook runs), so <paramref name="keepLease"/> runs before every attempt.
    /// </summary>
    public static async Task<string?> CommitAsync(RunLayout layout, SwarmOptions options, string agent, IReadOnlyList<string> files, string message, Func<Task> keepLease, CancellationToken cancellationToken)
    {
        while (true)
        {
            await keepLease();
            var result = await RunAsync("git", ["commit", "-q", "-m", message, "--only", "--", .. files], layout.Repository, Environment(layout, options, agent), cancellationToken);
            // The second case: git made the commit, then could not write the shared index back because another
            // agent's commit held it; the commit stands, and later commits (--only) start from HEAD, not that index.
            if (result.ExitCode == 0 || result.Output.Contains("repository has been updated, but unable to write", StringComparison.Ordinal))
            {
                return null;
            }

            if (result.Output.Contains("agentlocks guard: refused", StringComparison.Ordinal))
            {
                return result.Output.Trim();
            }

            // Agents share one repository: another agent's commit holds git's index or ref lock for a moment, or
            // moved HEAD while this commit was being made (then nothing was committed: try again on the new HEAD).
            if (LockFile.Match(result.Output) is { Success: true } busy)
            {
                RemoveIfAbandoned(busy.Groups[1].Value);
            }
            else if (!result.Output.Contains("cannot lock ref 'HEAD'", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"git commit failed: {result.Output}");
            }

            // git offers no way to wait for its lock; a short random pause keeps retrying agents from colliding again.
            await Task.Delay(Random.Shared.Next(5, 25), cancellationToken);
        }
    }

    /// <summary>
    /// After the swarm: an owner reserves <c>src/auth/**</c>, and an intruder that never reserved edits
    /// <c>src/auth/login.cs</c> and commits. Returns the guard's refusal, or null when the commit went through.
    /// </summary>
    public static async Task<string?> DeliberateViolationAsync(RunLayout layout, SwarmOptions options)
    {
        var owner = AgentId.Parse("guard-owner");
        var intruder = AgentId.Parse("guard-intruder");
        IReservationStore store = options.Postgres is { } connection
            ? new AgentLocks.Postgres.PostgresReservationStore(connection, new AgentLocks.Postgres.PostgresStoreOptions { Schema = options.PostgresSchema })
            : new FileReservationStore(layout.Store);
        try
        {
            await store.RegisterAgentAsync(owner);
            await store.RegisterAgentAsync(intruder);
            await using var held = await store.ReserveAsync(new ReservationRequest(owner, ScopePattern.Parse("src/auth/**"), BeadId.Parse("bd-guard"), TimeSpan.FromMinutes(5)));
            await File.AppendAllTextAsync(Path.Combine(layout.Repository, "src/auth/login.cs"), $"// {intruder}, without a reservation{System.Environment.NewLine}");
            return await CommitAsync(layout, options, intruder.Value, ["src/auth/login.cs"], "an edit without a reservation", () => Task.CompletedTask, CancellationToken.None)
                is { } refusal ? refusal : null;
        }
        finally
        {
            if (store is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    /// <summary>What the hook needs: the run's store (the root, or the connection string with the run's schema) and the agent.</summary>
    private static Dictionary<string, string?> Environment(RunLayout layout, SwarmOptions options, string? agent)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["AGENTLOCKS_AGENT"] = agent, ["AGENTLOCKS_REPO"] = null };
        if (options.Postgres is { } connection)
        {
            environment["AGENTLOCKS_POSTGRES"] = new NpgsqlConnectionStringBuilder(connection) { SearchPath = options.PostgresSchema }.ConnectionString;
        }
        else
        {
            environment["AGENTLOCKS_ROOT"] = layout.Store;
            environment["AGENTLOCKS_POSTGRES"] = null;
        }

        return environment;
    }

    /// <summary>A lock file git left when it was killed (kill -9 of an agent mid-commit) would block every later commit.</summary>
    private static void RemoveIfAbandoned(string path)
    {
        if (File.Exists(path) && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > AbandonedLock)
        {
            File.Delete(path);
        }
    }

    private static async Task GitAsync(RunLayout layout, SwarmOptions options, string? agent, params string[] args)
    {
        var result = await RunAsync("git", args, layout.Repository, Environment(layout, options, agent));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {result.Output}");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, IEnumerable<string> args, string directory, Dictionary<string, string?> environment, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }
}
