using System.Linq;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentLocks.Generators.TypedIds;

/// <summary>Writes the shared members of one typed ID, as the library wrote them by hand before.</summary>
internal static class TypedIdEmitter
{
    public static string HintName(TypedIdModel id) =>
        (id.Namespace.Length > 0 ? id.Namespace + "." : "") + id.Name + ".TypedId.g.cs";

    public static string Emit(TypedIdModel id)
    {
        var t = id.Name;
        var example = SymbolDisplay.FormatLiteral(id.Example, quote: true).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
        var kind = SymbolDisplay.FormatLiteral(id.KindName, quote: true);
        var opening = id.Namespace.Length > 0 ? $"namespace {id.Namespace}\n{{\n" : "";
        var closing = id.Namespace.Length > 0 ? "}\n" : "";
        var body = $$"""
            [global::System.Diagnostics.DebuggerDisplay("{Value}")]
            readonly partial struct {{t}} : global::System.IEquatable<{{t}}>, global::System.IComparable<{{t}}>, global::System.ISpanParsable<{{t}}>, global::AgentLocks.ITypedId<{{t}}>
            {
                private readonly string? _value;

                private {{t}}(string value) => _value = value;

                /// <summary>The canonical text of the ID; empty only for <c>default</c>.</summary>
                /// <remarks>Usage: <c>string text = id.Value;</c></remarks>
                public string Value => _value ?? string.Empty;

                static string global::AgentLocks.ITypedId<{{t}}>.KindName => {{kind}};

                /// <summary>Parses <paramref name="text"/>, throwing a <see cref="global::System.FormatException"/> that names the broken rule.</summary>
                /// <remarks>Usage: <c>var id = {{t}}.Parse({{example}});</c></remarks>
                public static {{t}} Parse(string text) => global::AgentLocks.TypedId.Parse<{{t}}>(text);

                /// <summary>Parses <paramref name="text"/>, returning false instead of throwing.</summary>
                /// <remarks>Usage: <c>if ({{t}}.TryParse(input, out var id)) { ... }</c></remarks>
                public static bool TryParse([global::System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? text, out {{t}} value) => global::AgentLocks.TypedId.TryParse(text, out value);

                static {{t}} global::System.IParsable<{{t}}>.Parse(string s, global::System.IFormatProvider? provider) => global::AgentLocks.TypedId.Parse<{{t}}>(s);

                static bool global::System.IParsable<{{t}}>.TryParse([global::System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? s, global::System.IFormatProvider? provider, out {{t}} result) => TryParse(s, out result);

                static {{t}} global::System.ISpanParsable<{{t}}>.Parse(global::System.ReadOnlySpan<char> s, global::System.IFormatProvider? provider) => global::AgentLocks.TypedId.Parse<{{t}}>(s.ToString());

                static bool global::System.ISpanParsable<{{t}}>.TryParse(global::System.ReadOnlySpan<char> s, global::System.IFormatProvider? provider, out {{t}} result) => TryParse(s.ToString(), out result);

                /// <summary>Compares ordinally.</summary>
                /// <remarks>Usage: <c>a.Equals(b)</c></remarks>
                public bool Equals({{t}} other) => string.Equals(Value, other.Value, global::System.StringComparison.Ordinal);

                /// <inheritdoc/>
                public override bool Equals(object? obj) => obj is {{t}} other && Equals(other);

                /// <inheritdoc/>
                public override int GetHashCode() => global::System.StringComparer.Ordinal.GetHashCode(Value);

                /// <summary>Orders ordinally, so sorted output is stable across cultures.</summary>
                /// <remarks>Usage: <c>ids.Order()</c></remarks>
                public int CompareTo({{t}} other) => string.CompareOrdinal(Value, other.Value);

                /// <summary>The canonical text.</summary>
                /// <remarks>Usage: <c>Console.WriteLine(id);</c></remarks>
                public override string ToString() => Value;

                /// <summary>Equality.</summary>
                /// <remarks>Usage: <c>a == b</c></remarks>
                public static bool operator ==({{t}} left, {{t}} right) => left.Equals(right);

                /// <summary>Inequality.</summary>
                /// <remarks>Usage: <c>a != b</c></remarks>
                public static bool operator !=({{t}} left, {{t}} right) => !left.Equals(right);

                /// <summary>Ordinal ordering.</summary>
                /// <remarks>Usage: <c>a &lt; b</c></remarks>
                public static bool operator <({{t}} left, {{t}} right) => left.CompareTo(right) < 0;

                /// <summary>Ordinal ordering.</summary>
                /// <remarks>Usage: <c>a &gt; b</c></remarks>
                public static bool operator >({{t}} left, {{t}} right) => left.CompareTo(right) > 0;

                /// <summary>Ordinal ordering.</summary>
                /// <remarks>Usage: <c>a &lt;= b</c></remarks>
                public static bool operator <=({{t}} left, {{t}} right) => left.CompareTo(right) <= 0;

                /// <summary>Ordinal ordering.</summary>
                /// <remarks>Usage: <c>a &gt;= b</c></remarks>
                public static bool operator >=({{t}} left, {{t}} right) => left.CompareTo(right) >= 0;

                static bool global::AgentLocks.ITypedId<{{t}}>.TryCreate(string text, out {{t}} value, out string? error)
                {
                    error = Validate(ref text);
                    value = error is null ? new {{t}}(text) : default;
                    return error is null;
                }
            }

            """;
        if (opening.Length > 0)
        {
            body = string.Join("\n", body.Split('\n').Select(line => line.Length > 0 ? "    " + line : line));
        }

        return "// <auto-generated/>\n#nullable enable\n\n" + opening + body + closing;
    }
}
