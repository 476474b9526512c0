namespace AgentLocks.Cli;

/// <summary>
/// The words, options and flags of one invocation. Options may stand anywhere (before or after the command
/// name); <c>--name value</c> and <c>--name=value</c> both work; everything after <c>--</c> is passed through.
/// An option or flag given twice, and an option with an empty value (an unset <c>$VAR</c>), are <c>INVALID_ARGS</c>.
/// </summary>
internal sealed class CommandLine
{
    /// <summary>Options that take no value. Every other <c>--name</c> takes one.</summary>
    private static readonly HashSet<string> FlagNames = ["json", "shared", "takeover-stale", "force", "fix", "help"];

    private CommandLine(List<string> words, Dictionary<string, string> options, HashSet<string> flags, List<string> rest)
    {
        Words = words;
        Options = options;
        Flags = flags;
        Rest = rest;
    }

    public IReadOnlyList<string> Words { get; }

    public IReadOnlyDictionary<string, string> Options { get; }

    public IReadOnlySet<string> Flags { get; }

    /// <summary>What followed <c>--</c>, such as the command of <c>lock exec</c>.</summary>
    public IReadOnlyList<string> Rest { get; }

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var words = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                rest.AddRange(args.Skip(i + 1));
                break;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                words.Add(arg);
                continue;
            }

            var name = arg[2..];
            string? value = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }

            if (FlagNames.Contains(name))
            {
                if (value is not null)
                {
                    throw Invalid($"--{name} takes no value.");
                }

                if (!flags.Add(name))
                {
                    throw Invalid($"--{name} is given twice.");
                }

                continue;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    throw Invalid($"--{name} needs a value.");
                }

                value = args[++i];
            }

            if (value.Length == 0)
            {
                throw Invalid($"--{name} needs a value, not an empty one.");
            }

            if (!options.TryAdd(name, value))
            {
                throw Invalid($"--{name} is given twice.");
            }
        }

        return new CommandLine(words, options, flags, rest);
    }

    public static AgentLocksException Invalid(string message) => new(ErrorCode.InvalidArgs, message);
}
