using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// The ID of one reservation, such as beadboard's <c>res_20261123_185327.347Z_4ba5</c>. New IDs carry 96 random bits.
/// </summary>
/// <remarks>Usage: <c>var id = ReservationId.Parse("res_20261123_185327.347Z_4ba5");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<ReservationId>))]
[DebuggerDisplay("{Value}")]
public readonly struct ReservationId : IEquatable<ReservationId>, IComparable<ReservationId>, ISpanParsable<ReservationId>, ITypedId<ReservationId>
{
    private readonly string? _value;

    private ReservationId(string value) => _value = value;

    /// <summary>The canonical text of the ID; empty only for <c>default</c>.</summary>
    /// <remarks>Usage: <c>string text = id.Value;</c></remarks>
    public string Value => _value ?? string.Empty;

    static string ITypedId<ReservationId>.KindName => "reservation id";

    /// <summary>
    /// A new ID in beadboard's shape, <c>res_yyyyMMdd_HHmmss.fffZ_</c> followed by 96 random bits in hex,
    /// so two IDs made in the same millisecond never collide (beadboard keeps 16 bits).
    /// </summary>
    /// <remarks>Usage: <c>var id = ReservationId.New(timeProvider.GetUtcNow());</c></remarks>
    public static ReservationId New(DateTimeOffset now)
    {
        Span<byte> random = stackalloc byte[12];
        System.Security.Cryptography.RandomNumberGenerator.Fill(random);
        return new ReservationId(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"res_{now.UtcDateTime:yyyyMMdd_HHmmss.fff}Z_{Convert.ToHexString(random).ToLowerInvariant()}"));
    }

    /// <summary>Parses <paramref name="text"/>, throwing a <see cref="FormatException"/> that names the broken rule.</summary>
    /// <remarks>Usage: <c>var id = ReservationId.Parse("res_20261123_185327.347Z_4ba5");</c></remarks>
    public static ReservationId Parse(string text) => TypedId.Parse<ReservationId>(text);

    /// <summary>Parses <paramref name="text"/>, returning false instead of throwing.</summary>
    /// <remarks>Usage: <c>if (ReservationId.TryParse(input, out var id)) { ... }</c></remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, out ReservationId value) => TypedId.TryParse(text, out value);

    static ReservationId IParsable<ReservationId>.Parse(string s, IFormatProvider? provider) => TypedId.Parse<ReservationId>(s);

    static bool IParsable<ReservationId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out ReservationId result) => TryParse(s, out result);

    static ReservationId ISpanParsable<ReservationId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => TypedId.Parse<ReservationId>(s.ToString());

    static bool ISpanParsable<ReservationId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out ReservationId result) => TryParse(s.ToString(), out result);

    /// <summary>Compares ordinally.</summary>
    /// <remarks>Usage: <c>a.Equals(b)</c></remarks>
    public bool Equals(ReservationId other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ReservationId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Orders ordinally, so sorted output is stable across cultures.</summary>
    /// <remarks>Usage: <c>ids.Order()</c></remarks>
    public int CompareTo(ReservationId other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The canonical text.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(id);</c></remarks>
    public override string ToString() => Value;

    /// <summary>Equality.</summary>
    /// <remarks>Usage: <c>a == b</c></remarks>
    public static bool operator ==(ReservationId left, ReservationId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <remarks>Usage: <c>a != b</c></remarks>
    public static bool operator !=(ReservationId left, ReservationId right) => !left.Equals(right);

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt; b</c></remarks>
    public static bool operator <(ReservationId left, ReservationId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt; b</c></remarks>
    public static bool operator >(ReservationId left, ReservationId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt;= b</c></remarks>
    public static bool operator <=(ReservationId left, ReservationId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt;= b</c></remarks>
    public static bool operator >=(ReservationId left, ReservationId right) => left.CompareTo(right) >= 0;

    static bool ITypedId<ReservationId>.TryCreate(string text, out ReservationId value, out string? error)
    {
        error = IdRules.ReservationId(text);
        value = error is null ? new ReservationId(text) : default;
        return error is null;
    }
}
