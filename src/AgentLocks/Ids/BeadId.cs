using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// A bead (issue) that a reservation is made for, such as <c>bd-42</c>, <c>bb-101</c> or another tracker's
/// <c>PROJ/123</c>: like beadboard, any text that is not empty and has no white space at its ends.
/// </summary>
/// <remarks>Usage: <c>var id = BeadId.Parse("bd-42");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<BeadId>))]
[DebuggerDisplay("{Value}")]
public readonly struct BeadId : IEquatable<BeadId>, IComparable<BeadId>, ISpanParsable<BeadId>, ITypedId<BeadId>
{
    private readonly string? _value;

    private BeadId(string value) => _value = value;

    /// <summary>The canonical text of the ID; empty only for <c>default</c>.</summary>
    /// <remarks>Usage: <c>string text = id.Value;</c></remarks>
    public string Value => _value ?? string.Empty;

    static string ITypedId<BeadId>.KindName => "bead id";

    /// <summary>Parses <paramref name="text"/>, throwing a <see cref="FormatException"/> that names the broken rule.</summary>
    /// <remarks>Usage: <c>var id = BeadId.Parse("bd-42");</c></remarks>
    public static BeadId Parse(string text) => TypedId.Parse<BeadId>(text);

    /// <summary>Parses <paramref name="text"/>, returning false instead of throwing.</summary>
    /// <remarks>Usage: <c>if (BeadId.TryParse(input, out var id)) { ... }</c></remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, out BeadId value) => TypedId.TryParse(text, out value);

    static BeadId IParsable<BeadId>.Parse(string s, IFormatProvider? provider) => TypedId.Parse<BeadId>(s);

    static bool IParsable<BeadId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out BeadId result) => TryParse(s, out result);

    static BeadId ISpanParsable<BeadId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => TypedId.Parse<BeadId>(s.ToString());

    static bool ISpanParsable<BeadId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out BeadId result) => TryParse(s.ToString(), out result);

    /// <summary>Compares ordinally.</summary>
    /// <remarks>Usage: <c>a.Equals(b)</c></remarks>
    public bool Equals(BeadId other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BeadId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Orders ordinally, so sorted output is stable across cultures.</summary>
    /// <remarks>Usage: <c>ids.Order()</c></remarks>
    public int CompareTo(BeadId other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The canonical text.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(id);</c></remarks>
    public override string ToString() => Value;

    /// <summary>Equality.</summary>
    /// <remarks>Usage: <c>a == b</c></remarks>
    public static bool operator ==(BeadId left, BeadId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <remarks>Usage: <c>a != b</c></remarks>
    public static bool operator !=(BeadId left, BeadId right) => !left.Equals(right);

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt; b</c></remarks>
    public static bool operator <(BeadId left, BeadId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt; b</c></remarks>
    public static bool operator >(BeadId left, BeadId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt;= b</c></remarks>
    public static bool operator <=(BeadId left, BeadId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt;= b</c></remarks>
    public static bool operator >=(BeadId left, BeadId right) => left.CompareTo(right) >= 0;

    static bool ITypedId<BeadId>.TryCreate(string text, out BeadId value, out string? error)
    {
        error = IdRules.BeadId(text);
        value = error is null ? new BeadId(text) : default;
        return error is null;
    }
}
