using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// A tmux session (<c>$3</c> or a session name), window (<c>@2</c>) or pane (<c>%12</c>) that holds a worker identity; <see cref="Kind"/> tells which.
/// </summary>
/// <remarks>Usage: <c>var id = SessionId.Parse("gt-polecat-1");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<SessionId>))]
[DebuggerDisplay("{Value}")]
public readonly struct SessionId : IEquatable<SessionId>, IComparable<SessionId>, ISpanParsable<SessionId>, ITypedId<SessionId>
{
    private readonly string? _value;

    private SessionId(string value) => _value = value;

    /// <summary>The canonical text of the ID; empty only for <c>default</c>.</summary>
    /// <remarks>Usage: <c>string text = id.Value;</c></remarks>
    public string Value => _value ?? string.Empty;

    static string ITypedId<SessionId>.KindName => "session id";

    /// <summary>Parses <paramref name="text"/>, throwing a <see cref="FormatException"/> that names the broken rule.</summary>
    /// <remarks>Usage: <c>var id = SessionId.Parse("gt-polecat-1");</c></remarks>
    public static SessionId Parse(string text) => TypedId.Parse<SessionId>(text);

    /// <summary>Parses <paramref name="text"/>, returning false instead of throwing.</summary>
    /// <remarks>Usage: <c>if (SessionId.TryParse(input, out var id)) { ... }</c></remarks>
    public static bool TryParse([NotNullWhen(true)] string? text, out SessionId value) => TypedId.TryParse(text, out value);

    static SessionId IParsable<SessionId>.Parse(string s, IFormatProvider? provider) => TypedId.Parse<SessionId>(s);

    static bool IParsable<SessionId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out SessionId result) => TryParse(s, out result);

    static SessionId ISpanParsable<SessionId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => TypedId.Parse<SessionId>(s.ToString());

    static bool ISpanParsable<SessionId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out SessionId result) => TryParse(s.ToString(), out result);

    /// <summary>What kind of tmux object this ID names: gastown records pane IDs (<c>%12</c>) where it means sessions.</summary>
    /// <remarks>Usage: <c>if (session.Kind == TmuxTargetKind.PaneId) { ... }</c></remarks>
    public TmuxTargetKind Kind => Value switch
    {
        ['$', .. var n] when IsNumber(n) => TmuxTargetKind.SessionId,
        ['@', .. var n] when IsNumber(n) => TmuxTargetKind.WindowId,
        ['%', .. var n] when IsNumber(n) => TmuxTargetKind.PaneId,
        _ => TmuxTargetKind.SessionName,
    };

    private static bool IsNumber(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

    /// <summary>Compares ordinally.</summary>
    /// <remarks>Usage: <c>a.Equals(b)</c></remarks>
    public bool Equals(SessionId other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SessionId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Orders ordinally, so sorted output is stable across cultures.</summary>
    /// <remarks>Usage: <c>ids.Order()</c></remarks>
    public int CompareTo(SessionId other) => string.CompareOrdinal(Value, other.Value);

    /// <summary>The canonical text.</summary>
    /// <remarks>Usage: <c>Console.WriteLine(id);</c></remarks>
    public override string ToString() => Value;

    /// <summary>Equality.</summary>
    /// <remarks>Usage: <c>a == b</c></remarks>
    public static bool operator ==(SessionId left, SessionId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <remarks>Usage: <c>a != b</c></remarks>
    public static bool operator !=(SessionId left, SessionId right) => !left.Equals(right);

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt; b</c></remarks>
    public static bool operator <(SessionId left, SessionId right) => left.CompareTo(right) < 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt; b</c></remarks>
    public static bool operator >(SessionId left, SessionId right) => left.CompareTo(right) > 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &lt;= b</c></remarks>
    public static bool operator <=(SessionId left, SessionId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordinal ordering.</summary>
    /// <remarks>Usage: <c>a &gt;= b</c></remarks>
    public static bool operator >=(SessionId left, SessionId right) => left.CompareTo(right) >= 0;

    static bool ITypedId<SessionId>.TryCreate(string text, out SessionId value, out string? error)
    {
        error = IdRules.SessionId(text);
        value = error is null ? new SessionId(text) : default;
        return error is null;
    }
}
