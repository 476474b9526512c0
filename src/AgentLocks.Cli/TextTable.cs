using System.Text;

namespace AgentLocks.Cli;

/// <summary>
/// The tables of the human answers: columns padded to their widest cell, two spaces apart. Colour (a bold header,
/// coloured cells) only when stdout is a terminal and <c>NO_COLOR</c> is unset, so pipes and scripts get plain text.
/// </summary>
internal static class TextTable
{
    private const string Reset = "\e[0m";

    /// <summary>SGR codes of the colours cells may carry.</summary>
    public const string Bold = "\e[1m";

    /// <summary>A warning: something ends soon.</summary>
    public const string Yellow = "\e[33m";

    /// <summary>True when the answer goes to a terminal that wants colour (<see href="https://no-color.org"/>).</summary>
    public static bool UseColor { get; } =
        !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && Environment.GetEnvironmentVariable("TERM") != "dumb";

    /// <summary>Renders <paramref name="rows"/> under <paramref name="header"/>; no trailing newline.</summary>
    public static string Render(IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<Cell>> rows, bool color)
    {
        var widths = header.Select((h, c) => rows.Select(r => r[c].Text.Length).Prepend(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        AppendRow(text, [.. header.Select(h => new Cell(h, Bold))], widths, color);
        foreach (var row in rows)
        {
            AppendRow(text.AppendLine(), row, widths, color);
        }

        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, IReadOnlyList<Cell> row, int[] widths, bool color)
    {
        for (var c = 0; c < row.Count; c++)
        {
            // Padding counts the text alone, so escape codes never skew the columns; the last column is not padded.
            var (cell, last) = (row[c], c == row.Count - 1);
            text.Append(color && cell.Color is { } sgr ? sgr + cell.Text + Reset : cell.Text);
            text.Append(' ', last ? 0 : widths[c] - cell.Text.Length + 2);
        }
    }
}

/// <summary>One cell: its text, and the colour it shows in on a terminal.</summary>
internal readonly record struct Cell(string Text, string? Color = null)
{
    public static implicit operator Cell(string text) => new(text);
}
