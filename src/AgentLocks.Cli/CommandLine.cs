namespace AgentLocks.Cli;

/// <summary>
/// The words, options and flags of one invocation. Options may stand anywhere (before or after the command
/// name); <c>--name value</c> and <c>--name=value</c> both work; everything after <c>--</c> is passed through.
/// An option or flag given twice, and an option with an empty value (an unset <c>$VAR</c>), are <c>INVALID_ARGS</c>.
/// <c>-h</c> is <c>--help</c>, and <c>help CMD</c> is <c>CMD --help</c>.
/// </summary>
internal sealed class CommandLine
{
    /// <summary>Options that take no value. Every other <c>--name</c> takes one.</summary>
    private static readonly HashSet<string> FlagNames = ["json", "shared", "takeover-stale", "force", "fix", "help", "pre-push", "warn-only"];

    /// <summary>Options that may be given more than once (<c>check --path A --path B</c>).</summary>
    private static readonly HashSet<string> RepeatableNames = ["path"];

    private readonly Dictionary<string, List<string>> _repeated = new(StringComparer.Ordinal);

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

    /// <summary>
    /// The first thing wrong with the invocation, or null. Parsing goes on past it, so the command is still known
    /// and the error's envelope names it.
    /// </summary>
    public AgentLocksException? Error { get; private set; }

    /// <summary>Every value of a repeatable option, in order; <see cref="Options"/> holds the first.</summary>
    public IReadOnlyList<string> All(string name) => _repeated.TryGetValue(name, out var values) ? values : [];

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var words = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var rest = new List<string>();
        var repeated = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        AgentLocksException? error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i] == "-h" ? "--help" : args[i];
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
                    error ??= Invalid($"--{name} takes no value.");
                }
                else if (!flags.Add(name))
                {
                    error ??= Invalid($"--{name} is given twice.");
                }

                continue;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    error ??= Invalid($"--{name} needs a value.");
                    break;
                }

                value = args[++i];
            }

            if (value.Length == 0)
            {
                error ??= Invalid($"--{name} needs a value, not an empty one.");
            }
            else if (RepeatableNames.Contains(name))
            {
                options.TryAdd(name, value);
                (repeated.TryGetValue(name, out var values) ? values : repeated[name] = []).Add(value);
            }
            else if (!options.TryAdd(name, value))
            {
                error ??= Invalid($"--{name} is given twice.");
            }
        }

        if (words is ["help", ..])
        {
            words.RemoveAt(0);
            flags.Add("help");
        }

        var line = new CommandLine(words, options, flags, rest) { Error = error };
        foreach (var (name, values) in repeated)
        {
            line._repeated[name] = values;
        }

        return line;
    }

    public static AgentLocksException Invalid(string message) => new(ErrorCode.InvalidArgs, message);
}
