using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// A scope an agent reserves: a path or glob in the repository (<c>src/auth/**</c>, <c>docs/*.md</c>,
/// <c>/repo/src/auth</c>) or a non-path scope (<c>bead:bd-12</c>, <c>deploy:prod</c>) that matches only itself.
/// A literal path covers the path and everything below it, so <c>src</c> and <c>src/auth/login.cs</c> overlap;
/// a pattern ending in a glob covers the names it matches (<c>src/*.cs</c>; write <c>src/*/**</c> for subtrees).
/// Paths are normalised (<c>\</c> becomes <c>/</c>, a leading <c>./</c>, <c>.</c> segments and a trailing
/// <c>/</c> are dropped); <c>..</c> and empty segments are rejected.
/// </summary>
/// <remarks>Usage: <c>var id = ScopePattern.Parse("src/auth/**");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<ScopePattern>))]
[TypedId(Example = "src/auth/**", Kind = "scope")]
public readonly partial struct ScopePattern
{
    /// <summary>True for a path or glob; false for a non-path scope such as <c>deploy:prod</c>.</summary>
    /// <remarks>Usage: <c>if (scope.IsPath) { ... }</c></remarks>
    public bool IsPath => !ScopeGlob.IsNonPath(Value);

    /// <summary>True for an absolute path (beadboard stores absolute paths); it overlaps only absolute paths.</summary>
    /// <remarks>Usage: <c>if (scope.IsAbsolute) { ... }</c></remarks>
    public bool IsAbsolute => IsPath && Value.StartsWith('/');

    /// <summary>
    /// True when some path is covered by both scopes. Literal paths may be directories, so they overlap globs
    /// below them (<c>src/a.ts</c> overlaps <c>src/**/*.cs</c>, erring on the side of a conflict).
    /// Non-path scopes overlap only an equal scope.
    /// </summary>
    /// <remarks>Usage: <c>ScopePattern.Parse("src/auth/**").Overlaps(ScopePattern.Parse("src"))</c> is true.</remarks>
    public bool Overlaps(ScopePattern other) => ScopeGlob.Overlaps(Value, other.Value);

    /// <summary>True when the relative or absolute <paramref name="path"/> is covered by this scope.</summary>
    /// <remarks>Usage: <c>scope.Covers("src/auth/login.cs")</c></remarks>
    public bool Covers(string path) => ScopeGlob.Normalize(path, out var normalized) is null
        && !ScopeGlob.HasWildcard(normalized!)
        && ScopeGlob.Overlaps(Value, normalized!);

    private static string? Validate(ref string text)
    {
        var error = ScopeGlob.Normalize(text, out var normalized);
        text = normalized ?? text;
        return error;
    }
}
