using AgentSwarm.Swarm;

namespace AgentSwarm.Tests;

/// <summary>The live board fits a 160x45 terminal, so its in-place redraw moves up exactly the rows it drew.</summary>
public sealed class BoardFrameTests
{
    [Fact]
    public void A_long_line_is_cut_to_the_width_keeping_its_colours()
    {
        var line = "\u001b[33m" + new string('x', 300) + "\u001b[0m";

        var fitted = Assert.Single(BoardFrame.Fit([line], width: 160, height: 45));

        Assert.StartsWith("\u001b[33m" + new string('x', 159), fitted, StringComparison.Ordinal);
        Assert.Equal(159, fitted.Replace("\u001b[33m", "", StringComparison.Ordinal).Replace("\u001b[0m", "", StringComparison.Ordinal).Length);
        Assert.EndsWith("\u001b[0m", fitted, StringComparison.Ordinal);
    }

    [Fact]
    public void A_board_taller_than_the_screen_keeps_its_first_lines()
    {
        var lines = Enumerable.Range(1, 60).Select(i => $"line {i}");

        var fitted = BoardFrame.Fit(lines, width: 160, height: 45);

        Assert.Equal(44, fitted.Count);
        Assert.Equal("line 44", fitted[^1]);
    }

    [Fact]
    public void The_redraw_moves_up_the_rows_it_drew_and_clears_after_a_resize()
    {
        string[] frame = ["a", "b"];

        Assert.Equal("\u001b[3F\u001b[2Ka\n\u001b[2Kb\n\u001b[J", BoardFrame.Redraw(frame, previousLines: 3, resized: false));
        Assert.StartsWith("\u001b[H\u001b[2J", BoardFrame.Redraw(frame, previousLines: 3, resized: true), StringComparison.Ordinal);
    }
}
