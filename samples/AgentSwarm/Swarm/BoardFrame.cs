using System.Text;

namespace AgentSwarm.Swarm;

/// <summary>
/// The live board fitted to the terminal, so the in-place redraw stays exact: a line that wrapped would take two
/// rows while the redraw moves up one, and a board taller than the screen cannot be reached by moving up at all.
/// </summary>
internal static class BoardFrame
{
    private const string Reset = "\u001b[0m";

    /// <summary>
    /// Each line cut to <c>width - 1</c> visible characters (escape sequences kept and a colour reset after a cut; the
    /// last column is left free, where some terminals wrap at once), and at most <c>height - 1</c> lines.
    /// </summary>
    public static List<string> Fit(IEnumerable<string> lines, int width, int height)
        => [.. lines.Take(Math.Max(1, height - 1)).Select(line => Cut(line, Math.Max(1, width - 1)))];

    /// <summary>
    /// What replaces the previous frame of <paramref name="previousLines"/> lines with <paramref name="frame"/>: up and
    /// over it in place; after a resize, from a cleared screen, since the terminal may have re-wrapped the old frame.
    /// </summary>
    public static string Redraw(IReadOnlyList<string> frame, int previousLines, bool resized)
    {
        var text = string.Concat(frame.Select(l => "\u001b[2K" + l + "\n"));
        return resized ? "\u001b[H\u001b[2J" + text
            : (previousLines > 0 ? $"\u001b[{previousLines}F" : "") + text + "\u001b[J";
    }

    /// <summary>The line with at most <paramref name="columns"/> visible characters; CSI sequences (<c>ESC [ ... letter</c>) take none.</summary>
    private static string Cut(string line, int columns)
    {
        var result = new StringBuilder(line.Length);
        var visible = 0;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '\u001b' && i + 1 < line.Length && line[i + 1] == '[')
            {
                var end = i + 2;
                while (end < line.Length && line[end] is < '@' or > '~')
                {
                    end++;
                }

                result.Append(line, i, Math.Min(end + 1, line.Length) - i);
                i = end;
            }
            else if (visible < columns)
            {
                result.Append(line[i]);
                visible++;
            }
            else
            {
                return result.Append(Reset).ToString();
            }
        }

        return result.ToString();
    }
}
