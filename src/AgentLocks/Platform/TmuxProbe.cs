using System.ComponentModel;
using System.Diagnostics;

namespace AgentLocks;

/// <summary>The live tmux targets of one server, by kind, so a pane id is never matched against session ids.</summary>
internal sealed class TmuxTargets
{
    private readonly HashSet<(TmuxTargetKind Kind, string Value)> _targets = [];

    public static TmuxTargets Empty { get; } = new();

    public void Add(TmuxTargetKind kind, string value) => _targets.Add((kind, value));

    public void AddAll(TmuxTargets other) => _targets.UnionWith(other._targets);

    /// <summary>True when <paramref name="session"/> names a live session (by name or <c>$N</c>), window (<c>@N</c>) or pane (<c>%N</c>).</summary>
    public bool Contains(SessionId session) => _targets.Contains((session.Kind, session.Value));
}

/// <summary>Asks tmux servers which sessions, windows and panes are alive; a seam so tests can also stand in for tmux.</summary>
internal interface ITmuxProbe
{
    /// <summary>The live targets of the server on socket <paramref name="socket"/> (null: the default server); empty when no server runs.</summary>
    Task<TmuxTargets> ListAsync(string? socket, CancellationToken cancellationToken);
}

/// <summary>Runs <c>tmux [-L socket] list-panes -a</c>: every pane with its window, session id and name in one call.</summary>
internal sealed class TmuxCli : ITmuxProbe
{
    public static readonly TmuxCli Instance = new();

    public async Task<TmuxTargets> ListAsync(string? socket, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("tmux")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (socket is not null)
        {
            start.ArgumentList.Add("-L");
            start.ArgumentList.Add(socket);
        }

        foreach (var arg in (string[])["list-panes", "-a", "-F", "#{session_name}\t#{session_id}\t#{window_id}\t#{pane_id}"])
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new AgentLocksException(ErrorCode.InternalError, $"Cannot run tmux to list live sessions: {e.Message}", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var output = await stdout.ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                // No server on that socket means no live sessions there, not a failure.
                if (error.Contains("no server running", StringComparison.Ordinal) || error.Contains("error connecting to", StringComparison.Ordinal))
                {
                    return TmuxTargets.Empty;
                }

                throw new AgentLocksException(ErrorCode.InternalError, $"tmux{(socket is null ? string.Empty : " -L " + socket)} list-panes failed: {error.Trim()}");
            }

            return Parse(output);
        }
    }

    internal static TmuxTargets Parse(string output)
    {
        var targets = new TmuxTargets();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split('\t');
            if (parts.Length != 4)
            {
                continue;
            }

            targets.Add(TmuxTargetKind.SessionName, parts[0]);
            targets.Add(TmuxTargetKind.SessionId, parts[1]);
            targets.Add(TmuxTargetKind.WindowId, parts[2]);
            targets.Add(TmuxTargetKind.PaneId, parts[3]);
        }

        return targets;
    }
}
