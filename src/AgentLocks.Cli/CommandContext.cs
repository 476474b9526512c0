namespace AgentLocks.Cli;

/// <summary>What a command sees: its parsed options, the coordination root, and typed accessors that fail with <c>INVALID_ARGS</c>.</summary>
internal sealed class CommandContext(CommandLine line, string root, string? postgres, bool json) : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    public CommandLine Line { get; } = line;

    /// <summary>The coordination root (<c>--root</c>, else <c>$AGENTLOCKS_ROOT</c>, else <c>~/.agentlocks</c>).</summary>
    public string Root { get; } = root;

    /// <summary>The PostgreSQL connection string (<c>--postgres</c>, else <c>$AGENTLOCKS_POSTGRES</c>), or null for the file store.</summary>
    public string? Postgres { get; } = postgres;

    public bool Json { get; } = json;

    /// <summary>Keeps <paramref name="resource"/> (a store with connections) until the command has finished.</summary>
    public T Own<T>(T resource)
        where T : IAsyncDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    /// <summary>Disposes what the command opened, newest first.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync().ConfigureAwait(false);
        }

        _owned.Clear();
    }

    public string? Optional(string name) => Line.Options.GetValueOrDefault(name);

    public string Required(string name)
        => Optional(name) ?? throw CommandLine.Invalid($"--{name} is required.");

    public bool Flag(string name) => Line.Flags.Contains(name);

    /// <summary>Parses a typed ID option, naming the option and the broken rule on failure.</summary>
    public T Required<T>(string name)
        where T : struct, ISpanParsable<T>
        => ParseId<T>(name, Required(name));

    public T? Optional<T>(string name)
        where T : struct, ISpanParsable<T>
        => Optional(name) is { } text ? ParseId<T>(name, text) : null;

    /// <summary>A TTL in whole minutes: digits only, so <c>10abc</c> and <c>1.5</c> are refused rather than read as a prefix.</summary>
    public TimeSpan? OptionalMinutes(string name) => OptionalWhole(name, "minutes", static n => TimeSpan.FromMinutes(n));

    /// <summary>A time in whole seconds (<c>reserve --wait</c>), by the same rule as <see cref="OptionalMinutes"/>.</summary>
    public TimeSpan? OptionalSeconds(string name) => OptionalWhole(name, "seconds", static n => TimeSpan.FromSeconds(n));

    private TimeSpan? OptionalWhole(string name, string unit, Func<int, TimeSpan> of)
    {
        var text = Optional(name);
        if (text is null)
        {
            return null;
        }

        if (text.Length is 0 or > 9 || !text.All(char.IsAsciiDigit))
        {
            throw CommandLine.Invalid($"--{name} must be a whole number of {unit}, not '{text}'.");
        }

        return of(int.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// <c>--tmux-socket NAME[,NAME...]</c>: the tmux servers to ask (as <c>tmux -L</c> names them); null when absent,
    /// which means the default server.
    /// </summary>
    public IReadOnlyList<string?>? TmuxSockets()
    {
        if (Optional("tmux-socket") is not { } text)
        {
            return null;
        }

        var names = text.Split(',', StringSplitOptions.TrimEntries);
        return names.Any(n => n.Length == 0 || n.Contains('/', StringComparison.Ordinal))
            ? throw CommandLine.Invalid($"--tmux-socket takes socket names separated by commas (as tmux -L takes them), not '{text}'.")
            : names;
    }

    private static T ParseId<T>(string name, string text)
        where T : struct, ISpanParsable<T>
    {
        try
        {
            return T.Parse(text, null);
        }
        catch (FormatException e)
        {
            throw CommandLine.Invalid($"--{name}: {e.Message}");
        }
    }
}
