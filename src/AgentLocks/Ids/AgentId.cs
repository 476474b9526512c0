using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// An agent's identity (beadboard's rule: lowercase letters and digits in dash-separated words, 3 to 48 characters).
/// </summary>
/// <remarks>Usage: <c>var id = AgentId.Parse("auth-refactorer");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<AgentId>))]
[DebuggerDisplay("{Value}")]
public readonly struct AgentId : IEquatable<AgentId>, IComparable<AgentId>, ISpanParsable<AgentId>, ITypedId<AgentId>
{
    private readonly string? _value;

    private AgentId(string value) => _value = value;

    /// <summary>The canonical text of the ID; empty only for <c>default</c>.</summary>
    /// <remarks>Usage: <c>string text = id.Value;</c></remarks>
    public string Value => _value ?? string.Empty;

    static string ITypedId<AgentId>.KindName => "agent id";

    /// <summary>Parses <paramref name="text"/>, throwing a <see cref="FormatException"/> that names the broken rule.</summary>
    /// <remarks>Usage: <c>var id = AgentId.Parse("auth-refactorer");</c></remarks>
    public static AgentId Parse(string text) => TypedId.Parse<AgentId>(text);

    /// <summary>Parses <paramref name="text"/>, returning false instead of throwing.</summary>
    /// <remarks>Usage: <c>if (AgentId.TryParse(input, out var id)) { ... }</c></remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, out AgentId value) => TypedId.TryParse(text, out value);

    static AgentId IParsable<AgentId>.Parse(string s, IFormatProvider? provider) => TypedId.Parse<AgentId>(s);

    static bool IParsable<AgentId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out AgentId result) => TryParse(s, out result);

    static AgentId ISpanParsable<AgentId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => TypedId.Parse<AgentId>(s.ToString());

    static bool ISpanParsable<AgentId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out AgentId result) => TryParse(s.ToString(), out result);

    /// <summary>Compares ordinally.</summary>
    /// <remarks>Usage: <c>a.Equals(b)</c></remarks>
    public bool Equals(AgentId other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is AgentId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Orders ordinally, so sorted output is stable across cultures.</summary>
    /// <remarks>Usage: <c>ids.Order()</c></remarks>
    public int CompareTo(AgentId other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The canonical text.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(id);</c></remarks>
    public override string ToString() => Value;

    /// <summary>Equality.</summary>
    /// <remarks>Usage: <c>a == b</c></remarks>
    public static bool operator ==(AgentId left, AgentId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <remarks>Usage: <c>a != b</c></remarks>
    public static bool operator !=(AgentId left, AgentId right) => !left.Equals(right);

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt; b</c></remarks>
    public static bool operator <(AgentId left, AgentId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt; b</c></remarks>
    public static bool operator >(AgentId left, AgentId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt;= b</c></remarks>
    public static bool operator <=(AgentId left, AgentId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt;= b</c></remarks>
    public static bool operator >=(AgentId left, AgentId right) => left.CompareTo(right) >= 0;

    static bool ITypedId<AgentId>.TryCreate(string text, out AgentId value, out string? error)
    {
        error = IdRules.AgentId(text);
        value = error is null ? new AgentId(text) : default;
        return error is null;
    }
}
