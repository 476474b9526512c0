using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// A number that grows with every grant a store makes, also across restarts. A resource that remembers the
/// highest token it has seen can refuse a write from a holder whose lease was lost and re-granted since.
/// </summary>
/// <remarks>Usage: <c>if (handle.FencingToken &gt; lastSeen) { write(); }</c></remarks>
[JsonConverter(typeof(FencingTokenJsonConverter))]
[DebuggerDisplay("{Value}")]
public readonly record struct FencingToken : IComparable<FencingToken>
{
    /// <summary>Wraps a positive value.</summary>
    /// <remarks>Usage: <c>new FencingToken(42)</c></remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public FencingToken(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        Value = value;
    }

    /// <summary>The token; 0 only for <c>default</c>, which no store hands out.</summary>
    /// <remarks>Usage: <c>long n = token.Value;</c></remarks>
    public long Value { get; }

    /// <summary>The next token.</summary>
    /// <remarks>Usage: <c>var next = token.Next();</c></remarks>
    public FencingToken Next() => new(checked(Value + 1));

    /// <summary>Orders tokens by value.</summary>
    /// <remarks>Usage: <c>a.CompareTo(b)</c></remarks>
    public int CompareTo(FencingToken other) => Value.CompareTo(other.Value);

    /// <summary>The value in invariant digits.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(token);</c></remarks>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Ordering.</summary>
    /// <remarks>Usage: <c>a &lt; b</c></remarks>
    public static bool operator <(FencingToken left, FencingToken right) => left.Value < right.Value;

    /// <summary>Ordering.</summary>
    /// <remarks>Usage: <c>a &gt; b</c></remarks>
    public static bool operator >(FencingToken left, FencingToken right) => left.Value > right.Value;

    /// <summary>Ordering.</summary>
    /// <remarks>Usage: <c>a &lt;= b</c></remarks>
    public static bool operator <=(FencingToken left, FencingToken right) => left.Value <= right.Value;

    /// <summary>Ordering.</summary>
    /// <remarks>Usage: <c>a &gt;= b</c></remarks>
    public static bool operator >=(FencingToken left, FencingToken right) => left.Value >= right.Value;
}

/// <summary>Writes a fencing token as a JSON number.</summary>
internal sealed class FencingTokenJsonConverter : JsonConverter<FencingToken>
{
    public override FencingToken Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = reader.GetInt64();
        return value > 0 ? new FencingToken(value) : throw new JsonException("A fencing token must be a positive integer.");
    }

    public override void Write(Utf8JsonWriter writer, FencingToken value, JsonSerializerOptions options)
        => writer.WriteNumberValue(value.Value);
}
