using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// A worker identity: the name of a worker directory that one live process may claim.
/// </summary>
/// <remarks>Usage: <c>var id = WorkerId.Parse("polecat-1");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<WorkerId>))]
[DebuggerDisplay("{Value}")]
public readonly struct WorkerId : IEquatable<WorkerId>, IComparable<WorkerId>, ISpanParsable<WorkerId>, ITypedId<WorkerId>
{
    private readonly string? _value;

    private WorkerId(string value) => _value = value;

    /// <summary>The canonical text of the ID; empty only for <c>default</c>.</summary>
    /// <remarks>Usage: <c>string text = id.Value;</c></remarks>
    public string Value => _value ?? string.Empty;

    static string ITypedId<WorkerId>.KindName => "worker id";

    /// <summary>Parses <paramref name="text"/>, throwing a <see cref="FormatException"/> that names the broken rule.</summary>
    /// <remarks>Usage: <c>var id = WorkerId.Parse("polecat-1");</c></remarks>
    public static WorkerId Parse(string text) => TypedId.Parse<WorkerId>(text);

    /// <summary>Parses <paramref name="text"/>, returning false instead of throwing.</summary>
    /// <remarks>Usage: <c>if (WorkerId.TryParse(input, out var id)) { ... }</c></remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, out WorkerId value) => TypedId.TryParse(text, out value);

    static WorkerId IParsable<WorkerId>.Parse(string s, IFormatProvider? provider) => TypedId.Parse<WorkerId>(s);

    static bool IParsable<WorkerId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out WorkerId result) => TryParse(s, out result);

    static WorkerId ISpanParsable<WorkerId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => TypedId.Parse<WorkerId>(s.ToString());

    static bool ISpanParsable<WorkerId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out WorkerId result) => TryParse(s.ToString(), out result);

    /// <summary>Compares ordinally.</summary>
    /// <remarks>Usage: <c>a.Equals(b)</c></remarks>
    public bool Equals(WorkerId other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is WorkerId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Orders ordinally, so sorted output is stable across cultures.</summary>
    /// <remarks>Usage: <c>ids.Order()</c></remarks>
    public int CompareTo(WorkerId other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The canonical text.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(id);</c></remarks>
    public override string ToString() => Value;

    /// <summary>Equality.</summary>
    /// <remarks>Usage: <c>a == b</c></remarks>
    public static bool operator ==(WorkerId left, WorkerId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <remarks>Usage: <c>a != b</c></remarks>
    public static bool operator !=(WorkerId left, WorkerId right) => !left.Equals(right);

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt; b</c></remarks>
    public static bool operator <(WorkerId left, WorkerId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt; b</c></remarks>
    public static bool operator >(WorkerId left, WorkerId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt;= b</c></remarks>
    public static bool operator <=(WorkerId left, WorkerId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt;= b</c></remarks>
    public static bool operator >=(WorkerId left, WorkerId right) => left.CompareTo(right) >= 0;

    static bool ITypedId<WorkerId>.TryCreate(string text, out WorkerId value, out string? error)
    {
        error = IdRules.WorkerId(text);
        value = error is null ? new WorkerId(text) : default;
        return error is null;
    }
}
