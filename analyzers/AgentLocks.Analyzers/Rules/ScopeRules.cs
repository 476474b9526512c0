namespace AgentLocks.Analyzers.Rules;

/// <summary>
/// The scope rules of the runtime (<c>src/AgentLocks/Scopes/ScopeGlob.cs</c>): normalisation and overlap, ported to
/// netstandard2.0. <c>RuleAgreementTests</c> checks both give the same answers on one table of inputs.
/// </summary>
internal static class ScopeRules
{
    private const int MaxLength = 1024;

    /// <summary>Normalises <paramref name="text"/>; returns the broken rule, or null when valid.</summary>
    public static string? Normalize(string text, out string? normalized)
    {
        normalized = null;
        if (text.Length is 0 or > MaxLength)
        {
            return $"must be 1 to {MaxLength} characters long";
        }

        if (text.Any(char.IsControl))
        {
            return "must not contain control characters";
        }

        if (text.Trim().Length != text.Length)
        {
            return "must not start or end with white space";
        }

        if (IsNonPath(text))
        {
            normalized = text;
            return null;
        }

        var path = text.Replace('\\', '/');
        var absolute = path.StartsWith("/", StringComparison.Ordinal);
        var rawSegments = path.Split('/');
        var segments = new List<string>(rawSegments.Length);
        for (var i = 0; i < rawSegments.Length; i++)
        {
            var segment = rawSegments[i];
            var isEdge = (i == 0 && absolute) || (i == rawSegments.Length - 1 && segments.Count > 0);
            if (segment.Length == 0)
            {
                if (isEdge)
                {
                    continue;
                }

                return "must not contain empty path segments ('//')";
            }

            if (segment == "..")
            {
                return "must not contain '..' segments (a scope stays inside the repository)";
            }

            if (segment == ".")
            {
                continue;
            }

            while (segment != "**" && segment.IndexOf("**", StringComparison.Ordinal) >= 0)
            {
                segment = segment.Replace("**", "*");
            }

            segments.Add(segment);
        }

        if (segments.Count == 0)
        {
            return absolute ? "must not be the file-system root" : "must name at least one path segment";
        }

        normalized = (absolute ? "/" : string.Empty) + string.Join("/", segments);
        return null;
    }

    public static bool IsNonPath(string text)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        var prefix = text.Substring(0, colon);
        return prefix[0] is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') && IdRules.IsAsciiWord(prefix, "+.-") && prefix.Length > 1;
    }

    private static bool HasWildcard(string pattern) => pattern.IndexOfAny(['*', '?']) >= 0;

    /// <summary>True when some path is covered by both (normalised) scopes.</summary>
    public static bool Overlaps(string a, string b)
    {
        var aIsPath = !IsNonPath(a);
        var bIsPath = !IsNonPath(b);
        if (!aIsPath || !bIsPath)
        {
            return !aIsPath && !bIsPath && string.Equals(a, b, StringComparison.Ordinal);
        }

        if (a.StartsWith("/", StringComparison.Ordinal) != b.StartsWith("/", StringComparison.Ordinal))
        {
            return false;
        }

        var left = Segments(a);
        var right = Segments(b);
        return Intersect(left, right, 0, 0, new bool?[left.Length + 1, right.Length + 1]);
    }

    private static string[] Segments(string pattern)
    {
        var segments = pattern.TrimStart('/').Split('/');
        return HasWildcard(segments[segments.Length - 1]) ? segments : [.. segments, "**"];
    }

    private static bool Intersect(string[] a, string[] b, int i, int j, bool?[,] memo)
    {
        if (memo[i, j] is { } known)
        {
            return known;
        }

        bool result;
        if (i == a.Length || j == b.Length)
        {
            result = (i == a.Length || AllDeep(a, i)) && (j == b.Length || AllDeep(b, j));
        }
        else if (a[i] == "**")
        {
            result = Intersect(a, b, i + 1, j, memo) || Intersect(a, b, i, j + 1, memo);
        }
        else if (b[j] == "**")
        {
            result = Intersect(a, b, i, j + 1, memo) || Intersect(a, b, i + 1, j, memo);
        }
        else
        {
            result = SegmentsIntersect(a[i], b[j]) && Intersect(a, b, i + 1, j + 1, memo);
        }

        memo[i, j] = result;
        return result;
    }

    private static bool AllDeep(string[] segments, int from)
    {
        for (var k = from; k < segments.Length; k++)
        {
            if (segments[k] != "**")
            {
                return false;
            }
        }

        return true;
    }

    private static bool SegmentsIntersect(string a, string b) =>
        !HasWildcard(a) && !HasWildcard(b)
            ? string.Equals(a, b, StringComparison.Ordinal)
            : CharsIntersect(a, b, 0, 0, new bool?[a.Length + 1, b.Length + 1]);

    private static bool CharsIntersect(string a, string b, int i, int j, bool?[,] memo)
    {
        if (memo[i, j] is { } known)
        {
            return known;
        }

        bool result;
        if (i < a.Length && a[i] == '*')
        {
            result = CharsIntersect(a, b, i + 1, j, memo) || (j < b.Length && CharsIntersect(a, b, i, j + 1, memo));
        }
        else if (j < b.Length && b[j] == '*')
        {
            result = CharsIntersect(a, b, i, j + 1, memo) || (i < a.Length && CharsIntersect(a, b, i + 1, j, memo));
        }
        else if (i == a.Length || j == b.Length)
        {
            result = i == a.Length && j == b.Length;
        }
        else
        {
            result = (a[i] == '?' || b[j] == '?' || a[i] == b[j]) && CharsIntersect(a, b, i + 1, j + 1, memo);
        }

        memo[i, j] = result;
        return result;
    }
}
