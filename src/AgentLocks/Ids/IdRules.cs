namespace AgentLocks;

/// <summary>
/// The text rules of the typed IDs, each returning the broken rule or null. The ID types validate with them, and
/// the analyzers compile this file too (netstandard2.0, with small polyfills), so a literal that would throw at run
/// time is flagged at build time by the same code.
/// </summary>
internal static class IdRules
{
    /// <summary>beadboard's agent rule: lowercase letters and digits in dash-separated words, 3 to 48 characters.</summary>
    public static string? AgentId(string text)
    {
        if (text.Length is < 3 or > 48)
        {
            return "must be 3 to 48 characters long";
        }

        if (!IsAsciiWord(text, "-") || text.Any(char.IsAsciiLetterUpper) || text[0] == '-' || text[^1] == '-' || text.Contains("--", StringComparison.Ordinal))
        {
            return "must match ^[a-z0-9]+(?:-[a-z0-9]+)*$ (lowercase letters and digits, single dashes between words)";
        }

        return null;
    }

    /// <summary>A worker name: 1 to 64 ASCII letters, digits, '.', '_' and '-', starting with a letter or digit.</summary>
    public static string? WorkerId(string text) =>
        Word(text, 64, "._-", "must start with a letter or digit and contain only letters, digits, '.', '_' and '-'");

    /// <summary>
    /// A bead id as beadboard takes it: any text that is not empty and does not start or end with white space
    /// (beadboard trims, then refuses only the empty string), such as <c>bd-42</c>, <c>PROJ/123</c> or a Jira key.
    /// No path is ever built from it.
    /// </summary>
    public static string? BeadId(string text)
        => text.Length == 0 || char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1])
            ? "must not be empty, nor start or end with white space"
            : null;

    /// <summary>A reservation ID: 1 to 128 ASCII letters, digits, '.', '_', ':' and '-', starting with a letter or digit.</summary>
    public static string? ReservationId(string text) =>
        Word(text, 128, "._:-", "must start with a letter or digit and contain only letters, digits, '.', '_', ':' and '-'");

    /// <summary>A tmux session, window or pane: 1 to 256 characters, no control characters, no white space at the ends (gastown's own ids hold ':', as in myrig:polecat/nux).</summary>
    public static string? SessionId(string text)
    {
        if (text.Length is < 1 or > 256)
        {
            return "must be 1 to 256 characters long";
        }

        return text.Any(char.IsControl) || char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1])
            ? "must not contain control characters, nor start or end with white space"
            : null;
    }

    /// <summary>True when every character is an ASCII letter, digit or one of <paramref name="extra"/>.</summary>
    public static bool IsAsciiWord(ReadOnlySpan<char> text, ReadOnlySpan<char> extra)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && extra.IndexOf(c) < 0)
            {
                return false;
            }
        }

        return true;
    }

    private static string? Word(string text, int maxLength, string extra, string rule)
    {
        if (text.Length < 1 || text.Length > maxLength)
        {
            return $"must be 1 to {maxLength} characters long";
        }

        return char.IsAsciiLetterOrDigit(text[0]) && IsAsciiWord(text, extra) ? null : rule;
    }
}
