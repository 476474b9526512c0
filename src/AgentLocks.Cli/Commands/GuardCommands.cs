using System.Text;
using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// The commit guard: git hooks (<c>pre-commit</c>, <c>pre-push</c>) that refuse work touching another agent's live
/// exclusive reservation. Hooks live in the repository's common directory (or <c>core.hooksPath</c>), so every
/// <c>git worktree</c> runs them; an existing hook is kept and run first. <c>git commit --no-verify</c> skips them.
/// </summary>
internal static class GuardCommands
{
    /// <summary>The line that marks a hook as ours, so install is idempotent and uninstall removes only ours.</summary>
    private const string Marker = "# agentlocks guard";

    /// <summary>Where a replaced hook is kept (and run first), beside ours.</summary>
    private const string ChainedSuffix = ".agentlocks-chained";

    private static readonly string[] Hooks = ["pre-commit", "pre-push"];

    public static CommandSpec[] All { get; } =
    [
        new(["guard", "install"], "guard install", "guard install [--repo DIR] [--warn-only]", [], ["warn-only"], InstallAsync),
        new(["guard", "uninstall"], "guard uninstall", "guard uninstall [--repo DIR]", [], [], UninstallAsync),
        new(["guard", "check"], "guard check", "guard check [--agent ID] [--pre-push] [--warn-only]", ["agent"], ["pre-push", "warn-only"], CheckAsync),
    ];

    private static Task<CommandResult> InstallAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var (repository, hooks) = HooksDirectory(context);
        Directory.CreateDirectory(hooks);
        var installed = new JsonArray();
        var text = new StringBuilder();
        foreach (var name in Hooks)
        {
            var path = Path.Combine(hooks, name);
            var chained = path + ChainedSuffix;
            if (File.Exists(path) && !IsOurs(path))
            {
                if (File.Exists(chained))
                {
                    throw CommandLine.Invalid($"Both {path} and {chained} exist; move one away before installing the guard.");
                }

                File.Move(path, chained);
                text.AppendLine($"kept the existing {name} hook as {chained}; it runs first");
            }

            File.WriteAllText(path, Script(name, Command(context)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
            }

            installed.Add((JsonNode)path);
            text.AppendLine($"installed {path}");
        }

        var data = new JsonObject { ["repository"] = repository, ["hooks"] = installed };
        return Task.FromResult(new CommandResult(data, text.Append("bypass once with git commit --no-verify").ToString()));
    }

    private static Task<CommandResult> UninstallAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var (repository, hooks) = HooksDirectory(context);
        var removed = new JsonArray();
        var text = new StringBuilder();
        foreach (var name in Hooks)
        {
            var path = Path.Combine(hooks, name);
            var chained = path + ChainedSuffix;
            if (!File.Exists(path) || !IsOurs(path))
            {
                continue;
            }

            File.Delete(path);
            removed.Add((JsonNode)path);
            text.AppendLine($"removed {path}");
            if (File.Exists(chained))
            {
                File.Move(chained, path);
                text.AppendLine($"restored the previous {name} hook");
            }
        }

        var data = new JsonObject { ["repository"] = repository, ["removed"] = removed };
        return Task.FromResult(new CommandResult(data, removed.Count == 0 ? "no agentlocks guard installed" : text.ToString().TrimEnd()));
    }

    /// <summary>
    /// What the hooks run: the staged paths (or, with <c>--pre-push</c>, the paths changed by the commits being pushed,
    /// as git gives them on stdin), judged for the committing agent. Refused: another agent's live exclusive
    /// reservation, or, with no agent identity, anyone's reservation. Warned: others' shared reservations.
    /// </summary>
    private static async Task<CommandResult> CheckAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var directory = Environment.CurrentDirectory;
        var agentText = context.Optional("agent")
            ?? NullIfEmpty(Environment.GetEnvironmentVariable("AGENTLOCKS_AGENT"))
            ?? NullIfEmpty(RepositoryRoot.Git(directory, "config", "--get", "agentlocks.agent"));
        AgentId? agent = agentText is null ? null : ParseAgent(agentText);
        var paths = context.Flag("pre-push")
            ? PushedPaths(directory, await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false))
            : Split(Git(directory, "diff", "--cached", "--name-only", "-z", "--no-renames"));

        var holds = paths.Count == 0
            ? []
            : await JudgeAsync(context, directory, agent, paths, cancellationToken).ConfigureAwait(false);
        var refusing = holds.Where(h => h.State == PathState.Held || (agent is null && h.State == PathState.Shared)).ToList();
        var warning = holds.Where(h => h.State == PathState.Shared && !refusing.Contains(h)).ToList();
        var warnOnly = context.Flag("warn-only");

        var report = new StringBuilder();
        foreach (var hold in refusing)
        {
            report.AppendJoin(Environment.NewLine, PathHolders.Describe(hold).Select(l => $"agentlocks guard: {(warnOnly ? "warning" : "refused")}: {l}")).AppendLine();
        }

        foreach (var hold in warning)
        {
            report.AppendJoin(Environment.NewLine, PathHolders.Describe(hold).Select(l => $"agentlocks guard: warning: {l}")).AppendLine();
        }

        var refused = refusing.Count > 0 && !warnOnly;
        if (refused)
        {
            report.Append(agent is { } me
                ? $"agentlocks guard: agent {me} may not commit these paths. Reserve them (agentlocks reserve --agent {me} --scope ... --bead ...) once free, unstage them, or bypass the guard with --no-verify."
                : "agentlocks guard: no agent identity (set AGENTLOCKS_AGENT or git config agentlocks.agent), so reserved paths are refused; bypass with --no-verify.");
        }

        var data = new JsonObject
        {
            ["agent"] = agent?.Value,
            ["checked"] = paths.Count,
            ["refused"] = refused,
            ["paths"] = new JsonArray([.. refusing.Concat(warning).Select(PathHolders.Json)]),
        };
        var human = refused ? string.Empty : $"agentlocks guard: {paths.Count} path(s) checked, {refusing.Count + warning.Count} reserved by others";
        return new CommandResult(data, context.Json ? string.Empty : human, refused ? ExitCodes.For(ErrorCode.ReservationConflict) : ExitCodes.Done, report.ToString().TrimEnd());
    }

    /// <summary>
    /// The paths changed by the commits of a push. git gives one line per ref: local ref, local sha, remote ref,
    /// remote sha; a new branch (remote sha all zeros), or a remote commit not fetched here, pushes what no
    /// remote-tracking branch has yet.
    /// </summary>
    private static List<string> PushedPaths(string directory, string input)
    {
        var paths = new List<string>();
        foreach (var line in input.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length != 4 || fields[1].All(c => c == '0'))
            {
                continue; // not a ref line, or a deletion (nothing is pushed)
            }

            string[] log = ["log", "--format=", "--name-only", "--no-renames", "-z"];
            var changed = fields[3].All(c => c == '0') ? null : RepositoryRoot.Git(directory, [.. log, $"{fields[3]}..{fields[1]}"]);
            paths.AddRange(Split(changed ?? Git(directory, [.. log, fields[1], "--not", "--remotes"])));
        }

        return [.. paths.Distinct(StringComparer.Ordinal)];
    }

    private static Task<IReadOnlyList<PathHold>> JudgeAsync(CommandContext context, string directory, AgentId? agent, List<string> paths, CancellationToken cancellationToken)
    {
        var repository = Backends.Repository(context, directory);
        return PathHolders.JudgeAsync(Backends.OpenReservationStore(context, repository), repository, agent, paths, cancellationToken);
    }

    private static AgentId ParseAgent(string text)
        => AgentId.TryParse(text, out var agent) ? agent : throw CommandLine.Invalid($"The agent identity '{text}' (AGENTLOCKS_AGENT or git config agentlocks.agent) is not a valid agent id.");

    private static List<string> Split(string output) => [.. output.Split('\0').Select(p => p.TrimStart('\n')).Where(p => p.Length > 0)];

    private static string Git(string directory, params string[] args)
        => RepositoryRoot.Git(directory, args) ?? throw CommandLine.Invalid($"git {args[0]} failed in {directory}: is it inside a git work tree?");

    /// <summary>The repository's top level and its hooks directory: <c>core.hooksPath</c>, else the common directory's <c>hooks</c> (shared by every worktree).</summary>
    private static (string Repository, string Hooks) HooksDirectory(CommandContext context)
    {
        var directory = Path.GetFullPath(context.Optional("repo") ?? Environment.CurrentDirectory);
        var top = Git(directory, "rev-parse", "--show-toplevel");
        var configured = NullIfEmpty(RepositoryRoot.Git(directory, "config", "--get", "core.hooksPath"));
        var hooks = configured is not null
            ? Path.GetFullPath(configured.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), configured[2..]) : configured, top)
            : Path.Combine(Path.GetFullPath(Git(directory, "rev-parse", "--git-common-dir"), directory), "hooks");
        return (top, hooks);
    }

    private static bool IsOurs(string path) => File.ReadLines(path).Take(3).Any(l => l.StartsWith(Marker, StringComparison.Ordinal));

    /// <summary>This very program, as the hook must start it: the apphost, or <c>dotnet</c> and the tool's assembly.</summary>
    private static string Command(CommandContext context)
    {
        var host = Environment.ProcessPath ?? "agentlocks";
        List<string> words = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [host, Path.GetFullPath(Environment.GetCommandLineArgs()[0])] : [host];
        if (context.Optional("root") is not null)
        {
            words.AddRange(["--root", context.Root]);
        }

        words.AddRange(["guard", "check"]);
        if (context.Flag("warn-only"))
        {
            words.Add("--warn-only");
        }

        return string.Join(' ', words.Select(w => "'" + w.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
    }

    private static string Script(string hook, string command) => hook == "pre-push"
        ? $"""
            #!/bin/sh
            {Marker}: installed by 'agentlocks guard install'; 'agentlocks guard uninstall' restores the hook it replaced.
            # Refuses a push whose commits touch another agent's reservation. Bypass once with: git push --no-verify
            input=$(cat)
            chained="$0{ChainedSuffix}"
            if [ -x "$chained" ]; then
              printf '%s\n' "$input" | "$chained" "$@" || exit $?
            fi
            printf '%s\n' "$input" | {command} --pre-push

            """
        : $"""
            #!/bin/sh
            {Marker}: installed by 'agentlocks guard install'; 'agentlocks guard uninstall' restores the hook it replaced.
            # Refuses a commit touching another agent's reservation. Bypass once with: git commit --no-verify
            chained="$0{ChainedSuffix}"
            if [ -x "$chained" ]; then
              "$chained" "$@" || exit $?
            fi
            exec {command}

            """;

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
