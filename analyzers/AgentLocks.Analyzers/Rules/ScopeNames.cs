using System.Text;

namespace AgentLocks.Analyzers.Rules;

/// <summary>
/// The member name the generator gives a scope in the nested <c>Scopes</c> class: the PascalCase of the pattern's
/// words with glob and separator characters dropped (<c>src/auth/**</c> is <c>SrcAuth</c>). Kept in step with the
/// generator's naming, which AGL013 predicts.
/// </summary>
internal static class ScopeNames
{
    public static string MemberName(string pattern)
    {
        var name = new StringBuilder(pattern.Length);
        var startOfWord = true;
        foreach (var c in pattern)
        {
            if (!IdRules.IsAsciiLetterOrDigit(c))
            {
                startOfWord = true;
                continue;
            }

            name.Append(startOfWord ? char.ToUpperInvariant(c) : c);
            startOfWord = false;
        }

        if (name.Length == 0)
        {
            return "Scope";
        }

        return char.IsDigit(name[0]) ? "_" + name : name.ToString();
    }
}
