using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentLocks.Generators;

/// <summary>
/// The naming rule of the generated <c>Scopes</c> members (documented in docs/generator.md):
/// <list type="number">
/// <item>A <c>Name</c> that is a valid C# identifier is used as given (a keyword is escaped with <c>@</c>).</item>
/// <item>Otherwise the pattern is split at every character that is not a letter or digit, and the words are
/// joined with their first letter upper-cased: <c>src/auth/**</c> is <c>SrcAuth</c>, <c>docs/auth.md</c> is
/// <c>DocsAuthMd</c>, <c>deploy:prod</c> is <c>DeployProd</c>. An empty result or one that starts with a digit
/// is prefixed with <c>Scope</c> (<c>**</c> is <c>Scope</c>, <c>2024/notes</c> is <c>Scope2024Notes</c>).</item>
/// <item>Explicit names are placed first, then derived ones, each in declaration order; a name already taken
/// (or <c>Scopes</c> itself) gets the smallest free suffix 2, 3, ...: <c>src/*.cs</c> and <c>src/**/*.cs</c>
/// become <c>SrcCs</c> and <c>SrcCs2</c>.</item>
/// <item>A pattern declared twice in one class is generated once (the first declaration wins).</item>
/// </list>
/// </summary>
internal static class ScopeMemberNaming
{
    /// <summary>
    /// The member name of each declared scope, in declaration order, escaped where it is a keyword; null for a
    /// pattern declared before (rule 4). Works on plain strings so the analyzers compile this file too and
    /// predict the generator's names (AGL013) with the same code.
    /// </summary>
    public static string?[] Assign(IReadOnlyList<(string Pattern, string? Name)> declared)
    {
        var patterns = new HashSet<string>(System.StringComparer.Ordinal);
        var generated = declared.Select(scope => patterns.Add(scope.Pattern)).ToArray();
        var names = new string?[declared.Count];
        var taken = new HashSet<string>(System.StringComparer.Ordinal) { "Scopes" };
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < declared.Count; i++)
            {
                var explicitName = IsIdentifier(declared[i].Name) ? declared[i].Name : null;
                if (generated[i] && (pass == 0) == (explicitName is not null))
                {
                    names[i] = Unique(explicitName ?? Derive(declared[i].Pattern), taken);
                }
            }
        }

        for (var i = 0; i < names.Length; i++)
        {
            if (names[i] is { } name && SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
            {
                names[i] = "@" + name;
            }
        }

        return names;
    }

    /// <summary>The name the author asked for: a <c>Name</c> that is an identifier (rule 1), else the derived one (rule 2).</summary>
    public static string Requested(string pattern, string? name) => IsIdentifier(name) ? name! : Derive(pattern);

    /// <summary>The member name derived from a pattern (rule 2), before collisions are resolved.</summary>
    public static string Derive(string pattern)
    {
        var name = new StringBuilder(pattern.Length);
        var startOfWord = true;
        foreach (var c in pattern)
        {
            if (!char.IsLetterOrDigit(c))
            {
                startOfWord = true;
                continue;
            }

            name.Append(startOfWord ? char.ToUpperInvariant(c) : c);
            startOfWord = false;
        }

        return name.Length == 0 || char.IsDigit(name[0]) ? "Scope" + name : name.ToString();
    }

    private static bool IsIdentifier(string? name) =>
        name is not null && SyntaxFacts.IsValidIdentifier(name) && !name.StartsWith("@", System.StringComparison.Ordinal);

    private static string Unique(string name, HashSet<string> taken)
    {
        var candidate = name;
        for (var suffix = 2; !taken.Add(candidate); suffix++)
        {
            candidate = name + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
