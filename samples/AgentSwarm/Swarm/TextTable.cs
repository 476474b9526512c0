using System.Text;

namespace AgentSwarm.Swarm;

/// <summary>A plain text table: columns padded to their widest cell, numbers right-aligned.</summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = header.Select((_, c) => all.Max(r => r[c].Length)).ToArray();
        var numeric = header.Select((_, c) => all.Skip(1).All(r => r[c].Length == 0 || char.IsAsciiDigit(r[c][0]) || r[c] == "-")).ToArray();
        var text = new StringBuilder();
        foreach (var (row, index) in all.Select((r, i) => (r, i)))
        {
            text.AppendJoin("  ", row.Select((cell, c) => numeric[c] && index > 0 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).AppendLine();
            if (index == 0)
            {
                text.AppendJoin("  ", widths.Select(w => new string('-', w))).AppendLine();
            }
        }

        return text.ToString();
    }
}
