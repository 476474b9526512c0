namespace AgentLocks;

/// <summary>
/// The few .NET 8 APIs that the runtime's rule files (<c>IdRules.cs</c>, <c>ScopeGlob.cs</c>, compiled into this
/// netstandard2.0 assembly as links) use and netstandard2.0 lacks. Extension members bind only where the type has
/// no such member, so the runtime keeps calling the real ones.
/// </summary>
internal static class NetStandardPolyfills
{
    extension(char)
    {
        public static bool IsAsciiLetter(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');

        public static bool IsAsciiLetterUpper(char c) => c is >= 'A' and <= 'Z';

        public static bool IsAsciiLetterOrDigit(char c) => char.IsAsciiLetter(c) || c is >= '0' and <= '9';
    }

    extension(string text)
    {
        public bool StartsWith(char value) => text.Length > 0 && text[0] == value;

        public int IndexOf(char value, StringComparison comparison) => text.IndexOf(value.ToString(), comparison);

        public bool Contains(char value, StringComparison comparison) => text.IndexOf(value, comparison) >= 0;

        public bool Contains(string value, StringComparison comparison) => text.IndexOf(value, comparison) >= 0;

        /// <summary>Only ordinal replacement is needed (and netstandard2.0's <c>Replace</c> is ordinal).</summary>
        public string Replace(string oldValue, string newValue, StringComparison comparison) =>
            comparison == StringComparison.Ordinal ? text.Replace(oldValue, newValue) : throw new ArgumentOutOfRangeException(nameof(comparison));
    }

    extension(string)
    {
        public static string Join(char separator, IEnumerable<string> values) => string.Join(separator.ToString(), values);
    }
}
