namespace AgentLocks.Cli;

/// <summary>
/// <c>agentlocks completion bash|zsh|fish</c> prints a script that asks <c>agentlocks completion suggest -- WORDS</c>
/// what may come next, so every shell completes from one implementation: commands, their options, and the agent
/// ids registered in the store after <c>--agent</c>. Handled before the parser: a shell's words are not a command.
/// </summary>
internal static class ShellCompletion
{
    public const string Verb = "completion";

    /// <summary>
    /// The command as help and the parser see it. A shell's name or <c>suggest</c> after it is answered before the
    /// parser (<see cref="Run"/>), so what reaches <see cref="CommandSpec.Run"/> names no shell.
    /// </summary>
    public static readonly CommandSpec Spec = new(
        [Verb], Verb, "completion bash|zsh|fish", [], [], (_, _) => throw CommandLine.Invalid("Name a shell: agentlocks completion bash|zsh|fish."));

    private const string Bash = """
        # bash completion for agentlocks: source <(agentlocks completion bash), or save it as
        # /etc/bash_completion.d/agentlocks. An empty answer falls back to file names (-o default).
        _agentlocks() {
            local IFS=$'\n'
            COMPREPLY=($(agentlocks completion suggest -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
        }
        complete -o default -F _agentlocks agentlocks
        """;

    private const string Zsh = """
        #compdef agentlocks
        # zsh completion for agentlocks: source <(agentlocks completion zsh) after compinit, or save it as _agentlocks
        # in a directory of $fpath.
        _agentlocks() {
            local -a suggestions
            suggestions=("${(@f)$(agentlocks completion suggest -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")
            if [[ -n "${suggestions[1]}" ]]; then compadd -a suggestions; else _files; fi
        }
        compdef _agentlocks agentlocks
        """;

    private const string Fish = """
        # fish completion for agentlocks: agentlocks completion fish > ~/.config/fish/completions/agentlocks.fish
        # Each suggestion comes with what it means (fish shows the text after a tab).
        complete -c agentlocks -f -a '(agentlocks completion suggest --describe -- (commandline -opc)[2..-1] (commandline -ct))'
        """;

    /// <summary>
    /// Runs <c>completion bash|zsh|fish</c> or <c>completion suggest [--describe] -- WORDS</c> (with <c>--describe</c>, each
    /// suggestion is followed by a tab and what it means); <paramref name="args"/> starts with <see cref="Verb"/>.
    /// </summary>
    public static int Run(string[] args, IReadOnlyList<CommandSpec> commands, TextWriter stdout, TextWriter stderr)
    {
        switch (args)
        {
            case [_, "bash"]:
                stdout.WriteLine(Bash);
                return ExitCodes.Done;
            case [_, "zsh"]:
                stdout.WriteLine(Zsh);
                return ExitCodes.Done;
            case [_, "fish"]:
                stdout.WriteLine(Fish);
                return ExitCodes.Done;
            case [_, "suggest", "--", .. var words]:
                foreach (var (text, _) in Suggest(words, commands))
                {
                    stdout.WriteLine(text);
                }

                return ExitCodes.Done;
            case [_, "suggest", "--describe", "--", .. var words]:
                foreach (var (text, description) in Suggest(words, commands))
                {
                    stdout.WriteLine(description.Length == 0 ? text : text + "\t" + description);
                }

                return ExitCodes.Done;
            default:
                stderr.WriteLine("agentlocks: INVALID_ARGS: usage: agentlocks completion bash|zsh|fish");
                return ExitCodes.For(ErrorCode.InvalidArgs);
        }
    }

    /// <summary>
    /// What may stand in place of the last of <paramref name="words"/> (the word being typed, possibly empty), given the
    /// words before it (everything after <c>agentlocks</c>), each with what it means (empty when nothing says).
    /// </summary>
    public static IEnumerable<(string Text, string Description)> Suggest(IReadOnlyList<string> words, IReadOnlyList<CommandSpec> commands)
    {
        var current = words.Count > 0 ? words[^1] : "";
        var before = words.Take(Math.Max(0, words.Count - 1)).ToList();
        var valued = commands.SelectMany(c => c.Options).Concat(CliApp.GlobalOptions).ToHashSet(StringComparer.Ordinal);

        // The command words typed so far, and the options with values (--root names the store to ask for agents).
        List<string> typed = [];
        Dictionary<string, string> values = new(StringComparer.Ordinal);
        for (var i = 0; i < before.Count; i++)
        {
            if (before[i].StartsWith("--", StringComparison.Ordinal))
            {
                var name = before[i][2..];
                if (valued.Contains(name) && i + 1 < before.Count)
                {
                    values[name] = before[++i];
                }
            }
            else
            {
                typed.Add(before[i]);
            }
        }

        var previous = before.Count > 0 ? before[^1] : "";
        IEnumerable<(string Text, string Description)> candidates = previous switch
        {
            "--agent" => KnownAgents(values.GetValueOrDefault("root")).Select(a => (a, "an agent registered in the store")),
            _ when previous.StartsWith("--", StringComparison.Ordinal) && valued.Contains(previous[2..]) => [],
            _ when current.StartsWith('-') => Options(typed, commands),
            _ => NextWords(typed, commands),
        };
        return candidates.Where(c => c.Text.StartsWith(current, StringComparison.Ordinal)).DistinctBy(c => c.Text).OrderBy(c => c.Text, StringComparer.Ordinal);
    }

    private static IEnumerable<(string, string)> NextWords(List<string> typed, IReadOnlyList<CommandSpec> commands)
    {
        if (typed is [Verb])
        {
            return [("bash", ""), ("fish", ""), ("zsh", "")];
        }

        return commands
            .Where(c => c.Words.Length > typed.Count && c.Words.Take(typed.Count).SequenceEqual(typed))
            .Select(c => (c.Words[typed.Count], CommandHelp.About(c.Words.Take(typed.Count + 1))?.Summary ?? ""));
    }

    private static IEnumerable<(string, string)> Options(List<string> typed, IReadOnlyList<CommandSpec> commands)
    {
        var always = CommandHelp.GlobalOptions.Select(o => ("--" + o.Key, o.Value.Description));
        var command = commands.FirstOrDefault(c => c.Words.SequenceEqual(typed));
        return command is null
            ? typed.Count == 0 ? always.Append(("--version", CommandHelp.VersionDescription)) : always
            : always.Concat(command.Options.Concat(command.Flags).Select(o => ("--" + o, CommandHelp.Option(command, o)?.Description ?? "")));
    }

    /// <summary>The agents registered in the file store (<c>agents/ID.json</c>); none when it cannot be read.</summary>
    private static IEnumerable<string> KnownAgents(string? root)
    {
        try
        {
            var agents = Path.Combine(CliApp.ResolveRoot(root), "agents");
            return Directory.Exists(agents)
                ? [.. Directory.EnumerateFiles(agents, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>()]
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AgentLocksException)
        {
            return [];
        }
    }
}
