namespace AgentLocks.Analyzers.Rules;

/// <summary>
/// The typed-ID rules of the runtime (<c>src/AgentLocks/Ids</c>), ported because the analyzer runs on netstandard2.0
/// and the runtime's validation uses newer APIs. <c>RuleAgreementTests</c> runs both on one table of inputs.
/// </summary>
internal static class IdRules
{
    /// <summary>The kinds of literal the analyzers validate, by the runtime type's name.</summary>
    public static readonly IReadOnlyDictionary<string, string> KindNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["AgentId"] = "agent id",
        ["WorkerId"] = "worker id",
        ["BeadId"] = "bead id",
        ["SessionId"] = "session id",
        ["ReservationId"] = "reservation id",
        ["ScopePattern"] = "scope",
    };

    /// <summary>The broken rule for <paramref name="text"/> as a <paramref name="typeName"/>, or null when valid.</summary>
    public static string? Explain(string typeName, string text) => typeName switch
    {
        "AgentId" => AgentId(text),
        "WorkerId" => Word(text, 64, "._-", "must start with a letter or digit and contain only letters, digits, '.', '_' and '-'"),
        "BeadId" or "ReservationId" => Word(text, 128, "._:-", "must start with a letter or digit and contain only letters, digits, '.', '_', ':' and '-'"),
        "SessionId" => SessionId(text),
        "ScopePattern" => ScopeRules.Normalize(text, out _),
        _ => null,
    };

    private static string? AgentId(string text)
    {
        if (text.Length is < 3 or > 48)
        {
            return "must be 3 to 48 characters long";
        }

        if (!IsAsciiWord(text, "-") || text.Any(c => c is >= 'A' and <= 'Z') || text[0] == '-' || text[text.Length - 1] == '-'
            || text.IndexOf("--", StringComparison.Ordinal) >= 0)
        {
            return "must match ^[a-z0-9]+(?:-[a-z0-9]+)*$ (lowercase letters and digits, single dashes between words)";
        }

        return null;
    }

    private static string? Word(string text, int maxLength, string extra, string rule)
    {
        if (text.Length < 1 || text.Length > maxLength)
        {
            return $"must be 1 to {maxLength} characters long";
        }

        return IsAsciiLetterOrDigit(text[0]) && IsAsciiWord(text, extra) ? null : rule;
    }

    private static string? SessionId(string text)
    {
        if (text.Length is < 1 or > 256)
        {
            return "must be 1 to 256 characters long";
        }

        return text.Any(char.IsControl) || char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[text.Length - 1]) || text.IndexOf(':') >= 0
            ? "must not contain control characters or ':', nor start or end with white space"
            : null;
    }

    public static bool IsAsciiLetterOrDigit(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');

    public static bool IsAsciiWord(string text, string extra) => text.All(c => IsAsciiLetterOrDigit(c) || extra.IndexOf(c) >= 0);
}
