namespace AgentLocks;

/// <summary>
/// The text of <see cref="ReservationMode"/> and <see cref="ReservationState"/> wherever it leaves the process:
/// beadboard's JSON, the PostgreSQL columns (whose CHECK constraints list the same words), the CLI and MCP output.
/// </summary>
internal static class ReservationWireNames
{
    /// <summary>The modes' names in the enum's order, so a name's index is its value; the default first.</summary>
    public static readonly string[] Modes = ["exclusive", "shared"];

    /// <summary>The states' names in the enum's order, so a name's index is its value.</summary>
    public static readonly string[] States = ["active", "released", "expired"];

    /// <summary><c>exclusive</c> or <c>shared</c>.</summary>
    public static string ToWireName(this ReservationMode mode) => Modes[(int)mode];

    /// <summary><c>active</c>, <c>released</c> or <c>expired</c>.</summary>
    public static string ToWireName(this ReservationState state) => States[(int)state];

    /// <summary>The mode named <paramref name="text"/>, in any case.</summary>
    /// <exception cref="FormatException">No mode has that name.</exception>
    public static ReservationMode ParseMode(string text) => (ReservationMode)Parse(Modes, text);

    /// <summary>The state named <paramref name="text"/>, in any case.</summary>
    /// <exception cref="FormatException">No state has that name.</exception>
    public static ReservationState ParseState(string text) => (ReservationState)Parse(States, text);

    /// <summary>The index of <paramref name="text"/> among <paramref name="names"/>, in any case; -1 when absent.</summary>
    public static int IndexOf(string[] names, string? text)
        => Array.FindIndex(names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));

    private static int Parse(string[] names, string text)
    {
        var index = IndexOf(names, text);
        return index >= 0 ? index : throw new FormatException($"'{text}' is not one of {string.Join(", ", names)}.");
    }
}
