using System.Diagnostics;

namespace AgentSwarm.Tests;

/// <summary>
/// The live board on a real terminal: the sample runs in a detached tmux pane of 160x45 (a pseudo-terminal of a
/// fixed size), and the pane's whole history is read back once the run has ended.
/// </summary>
public sealed class LiveBoardTerminalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentswarm-tmux-").FullName;
    private readonly string _socket = "agentswarm-test-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        Tmux("kill-server").GetAwaiter().GetResult();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task On_a_160x45_terminal_the_board_is_redrawn_in_place_and_fits_the_width()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "AgentSwarm.dll");
        var run = Path.Combine(_dir, "run");

        // The pane stays open after the run (cat waits on the terminal) so its screen can be read; wait-for says when.
        var command = $"dotnet '{dll}' --agents 6 --rounds 4 --lease-seconds 4 --dir '{run}'; echo SWARM-EXIT=$?; tmux -L {_socket} wait-for -S ended; exec cat";
        await Tmux("new-session", "-d", "-x", "160", "-y", "45", command);
        await Tmux("wait-for", "ended").WaitAsync(TimeSpan.FromMinutes(3));
        var history = (await Tmux("capture-pane", "-p", "-S", "-")).Split('\n');

        Assert.Contains("SWARM-EXIT=0", history);
        Assert.All(history, row => Assert.True(row.Length <= 160, row));

        // Every frame overwrote the one before: one board is left, with one "elapsed" line and one line per agent.
        Assert.Single(history, row => row.StartsWith("elapsed ", StringComparison.Ordinal));
        foreach (var role in new[] { "auth-refactorer", "login-fixer" })
        {
            Assert.True(history.Count(row => row.TrimStart().StartsWith(role + " ", StringComparison.Ordinal) && row.Contains(" pid ", StringComparison.Ordinal)) <= 2,
                string.Join('\n', history));
        }
    }

    private async Task<string> Tmux(params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var tmux = Process.Start(start)!;
        var output = tmux.StandardOutput.ReadToEndAsync();
        await tmux.StandardError.ReadToEndAsync();
        await tmux.WaitForExitAsync();
        return await output;
    }
}
