using System.Globalization;
using System.Text.Json;

namespace AgentLocks.Cli.Mcp;

/// <summary>
/// The arguments of one tool call, read against the tool's schema by hand: every wrong name, type or value is an
/// <c>INVALID_ARGS</c> tool error that says what was expected, never a protocol failure. Read liberally where a
/// model's habit is harmless (a number sent as a string, one path sent without its array).
/// </summary>
internal sealed class ToolArguments
{
    private readonly IReadOnlyDictionary<string, JsonElement> _values;

    private ToolArguments(IReadOnlyDictionary<string, JsonElement> values, Func<string, CancellationToken, Task> progress)
    {
        _values = values;
        ReportProgressAsync = progress;
    }

    /// <summary>Tells the client what a long call is doing (sent only when the client asked for progress).</summary>
    public Func<string, CancellationToken, Task> ReportProgressAsync { get; }

    /// <summary>Refuses any argument the tool does not take, naming the ones it does.</summary>
    public static ToolArguments For(IDictionary<string, JsonElement>? values, IReadOnlyCollection<string> accepted, Func<string, CancellationToken, Task> progress)
    {
        var given = values is null ? new Dictionary<string, JsonElement>() : new Dictionary<string, JsonElement>(values, StringComparer.Ordinal);
        foreach (var name in given.Keys.Where(name => !accepted.Contains(name)))
        {
            throw Invalid(accepted.Count == 0
                ? $"Unknown argument '{name}': this tool takes no arguments."
                : $"Unknown argument '{name}': this tool takes {string.Join(", ", accepted)}.");
        }

        return new ToolArguments(given, progress);
    }

    public static AgentLocksException Invalid(string message) => new(ErrorCode.InvalidArgs, message);

    public bool Has(string name) => _values.TryGetValue(name, out var value) && value.ValueKind is not JsonValueKind.Null;

    public string? String(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw Invalid($"'{name}' must be a string, not {Describe(value)}.");
    }

    public string RequiredString(string name) => String(name) ?? throw Invalid($"'{name}' is required.");

    /// <summary>A parsed ID; the ID type's own message names the broken rule.</summary>
    public T? Id<T>(string name)
        where T : struct, ISpanParsable<T>
        => String(name) is { } text ? Parse<T>(name, text) : null;

    public T RequiredId<T>(string name)
        where T : struct, ISpanParsable<T>
        => Parse<T>(name, RequiredString(name));

    /// <summary>An array of non-empty strings (a single string is taken as a list of one); null when absent.</summary>
    public IReadOnlyList<string>? Strings(string name, int max)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return [value.GetString()!];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid($"'{name}' must be an array of strings, not {Describe(value)}.");
        }

        var items = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw Invalid($"'{name}' must be an array of strings; item {items.Count} is {Describe(item)}.");
            }

            items.Add(item.GetString()!);
        }

        return items.Count switch
        {
            0 => throw Invalid($"'{name}' must name at least one path."),
            _ when items.Count > max => throw Invalid($"'{name}' takes at most {max} items, not {items.Count}."),
            _ => items,
        };
    }

    /// <summary>A whole number within bounds; a string of digits is read too.</summary>
    public int? Integer(string name, int min, int max)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        long number;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var whole))
        {
            number = whole;
        }
        else if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var real) && real == Math.Floor(real) && Math.Abs(real) < long.MaxValue)
        {
            number = (long)real;
        }
        else if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            number = parsed;
        }
        else
        {
            throw Invalid($"'{name}' must be a whole number from {min} to {max}, not {Describe(value)}.");
        }

        return number < min || number > max
            ? throw Invalid($"'{name}' must be from {min} to {max}, not {number}.")
            : (int)number;
    }

    /// <summary>A boolean; <c>"true"</c>/<c>"false"</c> as strings are read too.</summary>
    public bool Boolean(string name)
    {
        if (!TryGet(name, out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(value.GetString(), out var parsed) => parsed,
            _ => throw Invalid($"'{name}' must be true or false, not {Describe(value)}."),
        };
    }

    /// <summary>One of <paramref name="choices"/>, case-insensitively; the first when absent.</summary>
    public string Choice(string name, params string[] choices)
    {
        var text = String(name);
        if (text is null)
        {
            return choices[0];
        }

        return choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase))
            ?? throw Invalid($"'{name}' must be one of {string.Join(", ", choices)}, not '{text}'.");
    }

    private bool TryGet(string name, out JsonElement value)
        => _values.TryGetValue(name, out value) && value.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined;

    private static T Parse<T>(string name, string text)
        where T : struct, ISpanParsable<T>
    {
        try
        {
            return T.Parse(text, null);
        }
        catch (FormatException e)
        {
            throw Invalid($"'{name}': {e.Message}");
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Clip(value.GetString()!)}\"",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => Clip(value.GetRawText()),
    };

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
