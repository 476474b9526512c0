namespace AgentLocks;

/// <summary>
/// The pure rules behind <see cref="ScopePattern"/>: normalisation and overlap of path globs.
/// Every store calls these; none re-implements them.
/// </summary>
internal static class ScopeGlob
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
        var absolute = path.StartsWith('/');
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
                    continue; // the leading '/' of an absolute path, or a trailing '/'
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

            // '**' only means "any depth" as a whole segment; inside a segment it is a plain '*'.
            while (segment != "**" && segment.Contains("**", StringComparison.Ordinal))
            {
                segment = segment.Replace("**", "*", StringComparison.Ordinal);
            }

            segments.Add(segment);
        }

        if (segments.Count == 0)
        {
            return absolute ? "must not be the file-system root" : "must name at least one path segment";
        }

        normalized = (absolute ? "/" : string.Empty) + string.Join('/', segments);
        return null;
    }

    /// <summary>A non-path scope has a <c>kind:</c> prefix before any '/', such as <c>deploy:prod</c>.</summary>
    public static bool IsNonPath(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        var prefix = text.AsSpan(0, colon);
        return char.IsAsciiLetter(prefix[0]) && IdRules.IsAsciiWord(prefix, "+.-") && prefix.Length > 1;
    }

    /// <summary>
    /// The literal directory prefix of a (normalised) scope: its segments before the first that holds a wildcard,
    /// each followed by '/', with the leading '/' of an absolute path (<c>src/auth/**</c> gives <c>src/auth/</c>,
    /// <c>src/a.cs</c> gives <c>src/a.cs/</c>, <c>/repo/*.md</c> gives <c>/repo/</c>, <c>**</c> gives an empty
    /// prefix); a non-path scope is its own prefix. Every path a scope covers starts with its prefix, so two
    /// overlapping path scopes have prefixes one of which starts the other, and non-path scopes overlap only
    /// an equal one: a store can find, and lock, what may overlap by prefix alone.
    /// </summary>
    public static string LiteralPrefix(string scope)
    {
        if (IsNonPath(scope))
        {
            return scope;
        }

        var prefix = new System.Text.StringBuilder(scope.StartsWith('/') ? "/" : string.Empty);
        foreach (var segment in scope.TrimStart('/').Split('/').TakeWhile(s => !HasWildcard(s)))
        {
            prefix.Append(segment).Append('/');
        }

        return prefix.ToString();
    }

    public static bool HasWildcard(string pattern) => pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>True when some path is covered by both (normalised) scopes.</summary>
    public static bool Overlaps(string a, string b)
    {
        var aIsPath = !IsNonPath(a);
        var bIsPath = !IsNonPath(b);
        if (!aIsPath || !bIsPath)
        {
            return !aIsPath && !bIsPath && string.Equals(a, b, StringComparison.Ordinal);
        }

        if (a.StartsWith('/') != b.StartsWith('/'))
        {
            return false;
        }

        var left = Segments(a);
        var right = Segments(b);
        return Intersect(left, right, 0, 0, new bool?[left.Length + 1, right.Length + 1]);
    }

    /// <summary>
    /// A literal path may be a directory, so it covers its subtree (an implicit trailing "**"); a pattern whose
    /// last segment is a glob (<c>src/*.cs</c>) covers only the names it matches.
    /// </summary>
    private static string[] Segments(string pattern)
    {
        var segments = pattern.TrimStart('/').Split('/');
        return HasWildcard(segments[^1]) ? segments : [.. segments, "**"];
    }

    /// <summary>Whether the segment sequences from (i, j) on can match one common path.</summary>
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
            // "**" matches no segment, or eats one of the other side's and stays.
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

    /// <summary>Whether two one-segment globs (<c>*</c>, <c>?</c>, literals) match a common name.</summary>
    private static bool SegmentsIntersect(string a, string b)
    {
        if (!HasWildcard(a) && !HasWildcard(b))
        {
            return string.Equals(a, b, StringComparison.Ordinal);
        }

        return CharsIntersect(a, b, 0, 0, new bool?[a.Length + 1, b.Length + 1]);
    }

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
