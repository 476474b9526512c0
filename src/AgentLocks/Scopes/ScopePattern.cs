using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
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
[DebuggerDisplay("{Value}")]
public readonly struct ScopePattern : IEquatable<ScopePattern>, IComparable<ScopePattern>, ISpanParsable<ScopePattern>, ITypedId<ScopePattern>
{
    private readonly string? _value;

    private ScopePattern(string value) => _value = value;

    /// <summary>The canonical text of the ID; empty only for <c>default</c>.</summary>
    /// <remarks>Usage: <c>string text = id.Value;</c></remarks>
    public string Value => _value ?? string.Empty;

    static string ITypedId<ScopePattern>.KindName => "scope";

    /// <summary>Parses <paramref name="text"/>, throwing a <see cref="FormatException"/> that names the broken rule.</summary>
    /// <remarks>Usage: <c>var id = ScopePattern.Parse("src/auth/**");</c></remarks>
    public static ScopePattern Parse(string text) => TypedId.Parse<ScopePattern>(text);

    /// <summary>Parses <paramref name="text"/>, returning false instead of throwing.</summary>
    /// <remarks>Usage: <c>if (ScopePattern.TryParse(input, out var id)) { ... }</c></remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, out ScopePattern value) => TypedId.TryParse(text, out value);

    static ScopePattern IParsable<ScopePattern>.Parse(string s, IFormatProvider? provider) => TypedId.Parse<ScopePattern>(s);

    static bool IParsable<ScopePattern>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out ScopePattern result) => TryParse(s, out result);

    static ScopePattern ISpanParsable<ScopePattern>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => TypedId.Parse<ScopePattern>(s.ToString());

    static bool ISpanParsable<ScopePattern>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out ScopePattern result) => TryParse(s.ToString(), out result);

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

    /// <summary>Compares ordinally.</summary>
    /// <remarks>Usage: <c>a.Equals(b)</c></remarks>
    public bool Equals(ScopePattern other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ScopePattern other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Orders ordinally, so sorted output is stable across cultures.</summary>
    /// <remarks>Usage: <c>ids.Order()</c></remarks>
    public int CompareTo(ScopePattern other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The canonical text.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(id);</c></remarks>
    public override string ToString() => Value;

    /// <summary>Equality.</summary>
    /// <remarks>Usage: <c>a == b</c></remarks>
    public static bool operator ==(ScopePattern left, ScopePattern right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <remarks>Usage: <c>a != b</c></remarks>
    public static bool operator !=(ScopePattern left, ScopePattern right) => !left.Equals(right);

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt; b</c></remarks>
    public static bool operator <(ScopePattern left, ScopePattern right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt; b</c></remarks>
    public static bool operator >(ScopePattern left, ScopePattern right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt;= b</c></remarks>
    public static bool operator <=(ScopePattern left, ScopePattern right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt;= b</c></remarks>
    public static bool operator >=(ScopePattern left, ScopePattern right) => left.CompareTo(right) >= 0;

    static bool ITypedId<ScopePattern>.TryCreate(string text, out ScopePattern value, out string? error)
    {
        value = default;
        error = ScopeGlob.Normalize(text, out var normalized);
        if (error is not null)
        {
            return false;
        }

        value = new ScopePattern(normalized!);
        return true;
    }
}
