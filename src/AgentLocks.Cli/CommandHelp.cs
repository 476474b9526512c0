using System.Text;

namespace AgentLocks.Cli;

/// <summary>What an option means in help: the name of its value (empty for a flag) and one sentence, with its default.</summary>
internal sealed record OptionHelp(string Value, string Description);

/// <summary>
/// A command's help beyond its spec: what it does, its positional arguments, what its options mean where they mean
/// something else than <see cref="CommandHelp.SharedOptions"/> says, and examples.
/// </summary>
internal sealed record CommandAbout(string Summary, string[]? Examples = null, (string Name, string Description)[]? Arguments = null, Dictionary<string, OptionHelp>? Options = null);

/// <summary>
/// The <c>--help</c> of every command, in the usual layout: a usage line, what it does, its arguments, its options with
/// their meanings and defaults, the global options, examples. The texts live here, beside each other, so one option
/// reads the same everywhere and a command's spec stays one line.
/// </summary>
internal static class CommandHelp
{
    /// <summary>What <c>--version</c> (only before any command) does.</summary>
    internal const string VersionDescription = "Print the version.";

    /// <summary>The options of <c>agentlocks</c> itself, accepted before or after any command.</summary>
    internal static readonly Dictionary<string, OptionHelp> GlobalOptions = new(StringComparer.Ordinal)
    {
        ["root"] = new("DIR", "The coordination root (default: $AGENTLOCKS_ROOT, else ~/.agentlocks); ~/.beadboard/agent works."),
        ["postgres"] = new("CONN", "Use the PostgreSQL store at this connection string instead of the files (default: $AGENTLOCKS_POSTGRES)."),
        ["repo"] = new("DIR", "The repository that scopes and paths are relative to (default: $AGENTLOCKS_REPO, else the current git repository)."),
        ["json"] = new("", "Print exactly one JSON envelope on stdout and nothing else there."),
        ["help"] = new("", "Show this help."),
    };

    /// <summary>What an option means in every command that takes it, unless the command's <see cref="CommandAbout.Options"/> says otherwise.</summary>
    internal static readonly Dictionary<string, OptionHelp> SharedOptions = new(StringComparer.Ordinal)
    {
        ["agent"] = new("ID", "The agent's ID."),
        ["scope"] = new("PATTERN", "A path glob relative to the repository (src/auth/**), or a name that is not a path (deploy:prod)."),
        ["bead"] = new("ID", "The bead (task) the work is for."),
        ["ttl"] = new("MINUTES", "The lease, in whole minutes from 5 to 1440 (default: 120)."),
        ["worker"] = new("DIR", "The worker's directory; its lock is DIR/.runtime/agent.lock."),
        ["session"] = new("ID", "The session to record with the lock, such as the tmux session name."),
        ["under"] = new("DIR", "The directory whose worker locks are searched, at any depth."),
        ["tmux-socket"] = new("NAME[,NAME...]", "The tmux servers to ask, as tmux -L names them (default: the default server)."),
        ["warn-only"] = new("", "Print what another agent holds, but never block (exit 0)."),
    };

    /// <summary>Every command's help, by its words (<c>lock acquire</c>), and the groups' (<c>lock</c>).</summary>
    internal static readonly Dictionary<string, CommandAbout> Commands = new(StringComparer.Ordinal)
    {
        ["lock"] = new("Worker identity locks: one live process per worker directory, compatible with gastown's agent.lock."),
        ["lock acquire"] = new(
            "Take the worker's lock for a process; exit 3 if another live process holds it.",
            ["agentlocks lock acquire --worker ~/gt/rig/polecats/alpha --session gt-alpha"],
            Options: new() { ["pid"] = new("PID", "The process that holds the lock (default: the process that ran agentlocks).") }),
        ["lock exec"] = new(
            "Hold the worker's lock while CMD runs and exit with CMD's exit code; if the lock is held, run nothing and exit 3.",
            ["agentlocks lock exec --worker ~/gt/rig/polecats/alpha -- claude --resume"],
            [("CMD [ARG...]", "The command to run, after --.")]),
        ["lock release"] = new(
            "Release our lock on the worker; --force releases anyone's.",
            Options: new()
            {
                ["pid"] = new("PID", "Release the lock only if this process holds it (default: the process that ran agentlocks)."),
                ["force"] = new("", "Release the lock whoever holds it (not with --pid)."),
            }),
        ["lock status"] = new("Show the worker's lock: unlocked, locked, stale or foreign-host, with the holder's fields."),
        ["lock list"] = new("List every worker lock below a directory."),
        ["lock clean"] = new("Remove the stale locks below a directory; data.cleaned is the count."),
        ["lock collisions"] = new("List the locks whose session is not a live tmux session, and the stale locks."),
        ["agent"] = new("The agents known to the store."),
        ["agent register"] = new(
            "Make an agent known to the store, or update its role and name.",
            ["agentlocks agent register --agent alice --role implementer"],
            Options: new()
            {
                ["role"] = new("ROLE", "What the agent does, such as implementer or reviewer."),
                ["display"] = new("NAME", "The name shown for the agent."),
            }),
        ["reserve"] = new(
            "Reserve a scope for an agent's work on a bead; data is the reservation. Exit 3 when another agent holds an overlapping scope.",
            ["agentlocks reserve --agent alice --scope 'src/auth/**' --bead bd-12", "agentlocks reserve --agent bob --scope docs/api.md --bead bd-13 --ttl 30 --wait 60"],
            Options: new()
            {
                ["wait"] = new("SECONDS", "Wait up to SECONDS for conflicting reservations to go, instead of failing at once (default: 0)."),
                ["shared"] = new("", "Reserve in shared mode: other shared reservations of the scope may stand beside it (default: exclusive)."),
                ["takeover-stale"] = new("", "Take over a conflicting reservation whose holder is stale, notifying it, instead of failing."),
                ["reason"] = new("TEXT", "Why the scope is reserved; shown to the agents that conflict with it."),
            }),
        ["release"] = new("Release an agent's reservation of a scope; only its owner may.", ["agentlocks release --agent alice --scope 'src/auth/**'"]),
        ["renew"] = new("Extend an agent's live reservation of a scope from now.", ["agentlocks renew --agent alice --scope 'src/auth/**' --ttl 60"]),
        ["status"] = new(
            "Show the active reservations, the unacknowledged required messages and the summary counts.",
            ["agentlocks status", "agentlocks --json status --agent alice"],
            Options: new()
            {
                ["bead"] = new("ID", "Only the reservations for this bead."),
                ["agent"] = new("ID", "Only this agent's reservations and messages."),
            }),
        ["doctor"] = new(
            "Find stale worker locks, expired reservations and orphaned mutex files; --fix repairs them.",
            ["agentlocks doctor", "agentlocks doctor --fix --under ~/gt"],
            Options: new()
            {
                ["fix"] = new("", "Repair what is found: remove stale locks, expire reservations, remove orphaned mutex files."),
                ["under"] = new("DIR|PREFIX", "Also check the worker locks below DIR (with --postgres: the workers whose name starts with PREFIX)."),
            }),
        ["mcp"] = new(
            "Serve AgentLocks' tools to a coding agent over stdio (the Model Context Protocol).",
            ["claude mcp add agentlocks -- agentlocks mcp --agent alice"],
            Options: new()
            {
                ["agent"] = new("ID", "The agent the tools act for (default: $AGENTLOCKS_AGENT)."),
                ["repo"] = new("DIR", "The repository that the tools' paths are relative to (default: $AGENTLOCKS_REPO, else the current git repository)."),
            }),
        ["check"] = new(
            "Check paths before editing them: free or ours exits 0; held by another agent exits 3, with the holders.",
            ["agentlocks check --agent alice --path src/auth/login.cs --path src/auth/token.cs"],
            Options: new() { ["path"] = new("P", "A path to check; give --path once per path.") }),
        ["ack"] = new(
            "Acknowledge a message to an agent, such as a takeover notice.",
            Options: new() { ["message"] = new("ID", "The message's ID, as status lists it.") }),
        ["hook"] = new("Hooks for coding agents."),
        ["hook claude-code"] = new(
            "A Claude Code PreToolUse hook: reads the tool call's JSON on stdin; exit 0 allows it, exit 2 blocks it with the reason on stderr.",
            Options: new() { ["agent"] = new("ID", "The agent making the edit (default: $AGENTLOCKS_AGENT).") }),
        ["guard"] = new("A git pre-commit and pre-push guard against committing what another agent holds."),
        ["guard install"] = new(
            "Install the pre-commit and pre-push hooks in a repository.",
            ["agentlocks guard install --repo ."],
            Options: new() { ["warn-only"] = new("", "Install hooks that print what another agent holds but never block a commit.") }),
        ["guard uninstall"] = new("Remove the hooks that guard install wrote."),
        ["guard check"] = new(
            "What the hooks run: the staged paths against the other agents' live reservations; exit 3 when one is held.",
            Options: new()
            {
                ["agent"] = new("ID", "The agent committing (default: $AGENTLOCKS_AGENT)."),
                ["pre-push"] = new("", "Check the paths changed by the commits being pushed instead of the staged ones."),
            }),
        [ShellCompletion.Verb] = new(
            "Print a shell completion script: commands, options, and the agent IDs registered in the store.",
            ["source <(agentlocks completion bash)", "agentlocks completion fish > ~/.config/fish/completions/agentlocks.fish"],
            [("bash|zsh|fish", "The shell to print the script for.")]),
    };

    /// <summary>What <paramref name="option"/> means for <paramref name="spec"/>: its own text, else the shared one, else the global one; null when there is none.</summary>
    public static OptionHelp? Option(CommandSpec spec, string option)
        => About(spec.Words)?.Options?.GetValueOrDefault(option) ?? SharedOptions.GetValueOrDefault(option) ?? GlobalOptions.GetValueOrDefault(option);

    /// <summary>The help of a command or a group, by its words; null when nothing is known by them.</summary>
    public static CommandAbout? About(IEnumerable<string> words) => Commands.GetValueOrDefault(string.Join(' ', words));

    /// <summary>The help of one command.</summary>
    public static string Render(CommandSpec spec)
    {
        var about = About(spec.Words);
        var text = new StringBuilder().Append("Usage: agentlocks ").AppendLine(spec.Usage).AppendLine();
        if (about is not null)
        {
            text.AppendLine(about.Summary).AppendLine();
        }

        if (about?.Arguments is { Length: > 0 } arguments)
        {
            Section(text, "Arguments:", arguments);
        }

        var own = spec.Options.Concat(spec.Flags).ToList();
        if (own.Count > 0)
        {
            Section(text, "Options:", own.Select(o => Row(o, Option(spec, o))));
        }

        Section(text, "Global options:", GlobalOptions.Keys.Where(o => !own.Contains(o)).Select(o => Row(o, GlobalOptions[o])));
        if (about?.Examples is { Length: > 0 } examples)
        {
            text.AppendLine("Examples:");
            foreach (var example in examples)
            {
                text.Append("  ").AppendLine(example);
            }
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>The help of <c>agentlocks</c> itself (no <paramref name="group"/>) or of a group of commands such as <c>lock</c>.</summary>
    public static string RenderGroup(IReadOnlyList<string> group, IEnumerable<CommandSpec> commands)
    {
        var prefix = group.Count == 0 ? "" : string.Join(' ', group) + " ";
        var members = commands.Where(c => c.Words.Take(group.Count).SequenceEqual(group)).ToList();
        var text = new StringBuilder().Append("Usage: agentlocks [--root DIR] [--postgres CONN] [--repo DIR] [--json] ").Append(prefix).AppendLine("<command> [options]").AppendLine();
        text.AppendLine(About(group)?.Summary ?? "Worker identity locks and scope reservations for a swarm of coding agents.").AppendLine();
        var rows = members.Select(c => (string.Join(' ', c.Words.Skip(group.Count)), About(c.Words)?.Summary ?? ""));
        Section(text, "Commands:", rows);
        Section(text, "Global options:", GlobalOptions.Select(o => Row(o.Key, o.Value)).Concat(group.Count == 0 ? [("--version", VersionDescription)] : []));
        text.Append("Run 'agentlocks help ").Append(prefix).Append("<command>' or 'agentlocks ").Append(prefix).Append("<command> --help' for a command's options.");
        return text.ToString();
    }

    private static (string Name, string Description) Row(string option, OptionHelp? help)
        => ((option == "help" ? "-h, " : "") + "--" + option + (help is { Value.Length: > 0 } ? " " + help.Value : ""), help?.Description ?? "");

    /// <summary>A titled two-column list, the descriptions aligned after the longest name.</summary>
    private static void Section(StringBuilder text, string title, IEnumerable<(string Name, string Description)> rows)
    {
        var list = rows.ToList();
        var width = list.Max(r => r.Name.Length) + 2;
        text.AppendLine(title);
        foreach (var (name, description) in list)
        {
            text.Append("  ").Append(name.PadRight(width)).AppendLine(description);
        }

        text.AppendLine();
    }
}
