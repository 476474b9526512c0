namespace AgentLocks;

/// <summary>
/// The shape every typed ID shares, so parsing, errors and JSON are written once.
/// </summary>
/// <typeparam name="TSelf">The ID type itself.</typeparam>
internal interface ITypedId<TSelf>
    where TSelf : struct, ITypedId<TSelf>
{
    /// <summary>The name used in error messages, e.g. "agent id".</summary>
    static abstract string KindName { get; }

    /// <summary>Validates (and normalises) <paramref name="text"/>; on failure <paramref name="error"/> names the broken rule.</summary>
    static abstract bool TryCreate(string text, out TSelf value, out string? error);

    /// <summary>The canonical text form.</summary>
    string Value { get; }
}

/// <summary>Parsing shared by every <see cref="ITypedId{TSelf}"/>.</summary>
internal static class TypedId
{
    public static TSelf Parse<TSelf>(string? text)
        where TSelf : struct, ITypedId<TSelf>
    {
        ArgumentNullException.ThrowIfNull(text);
        return TSelf.TryCreate(text, out var value, out var error)
            ? value
            : throw new FormatException($"'{text}' is not a valid {TSelf.KindName}: {error}");
    }

    public static bool TryParse<TSelf>(string? text, out TSelf value)
        where TSelf : struct, ITypedId<TSelf>
    {
        if (text is not null && TSelf.TryCreate(text, out value, out _))
        {
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The reason <paramref name="text"/> is not a valid ID, or null when it is.</summary>
    public static string? Explain<TSelf>(string? text)
        where TSelf : struct, ITypedId<TSelf>
    {
        if (text is null)
        {
            return $"a {TSelf.KindName} is required";
        }

        return TSelf.TryCreate(text, out _, out var error) ? null : $"'{text}' is not a valid {TSelf.KindName}: {error}";
    }
}
