using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using AgentSwarm.Agents;

namespace AgentSwarm.Swarm;

/// <summary>
/// Starts the agent processes (this same program in its <c>agent</c> role), shows their progress, kills one
/// with SIGKILL midway and starts it again, then prints the summary and checks the invariant from the logs.
/// </summary>
internal sealed class Orchestrator(SwarmOptions options, TextWriter output, bool terminal)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    private readonly Channel<(AgentView Agent, SwarmEvent? Event)> _events = Channel.CreateUnbounded<(AgentView, SwarmEvent?)>();
    private readonly Dictionary<AgentView, Process> _processes = [];
    private readonly Dictionary<int, long> _deathsNs = [];
    private readonly List<string> _recent = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _renderedLines;
    private int _renderedWidth;
    private TimeSpan _lastRender;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var layout = RunLayout.CreateFresh(options.RunDirectory, AgentCatalog.Roles.Take(options.Agents));
        await GuardedCommits.InitAsync(layout, options).ConfigureAwait(false);
        var backend = options.Postgres is null ? $"file store in {layout.Store}" : $"PostgreSQL, schema {options.PostgresSchema}";
        await output.WriteLineAsync($"AgentSwarm: {options.Agents} agent processes, {options.Rounds} rounds each, over {layout.Repository}").ConfigureAwait(false);
        await output.WriteLineAsync($"  store: {backend}; reservation lease {options.LeaseSeconds} s; {(options.Kill ? "one agent is killed with SIGKILL midway" : "no kill")}").ConfigureAwait(false);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        var running = 0;
        foreach (var role in AgentCatalog.Roles.Take(options.Agents))
        {
            Start(role, options.Rounds, layout);
            running++;
        }

        var killed = !options.Kill;
        var plannedRounds = options.Agents * options.Rounds;
        try
        {
            while (running > 0)
            {
                var (agent, e) = await NextAsync(deadline.Token).ConfigureAwait(false);
                if (e is null)
                {
                    running--;
                    await NoteAsync($"{agent.Role} (pid {agent.Pid}) exited with {agent.ExitCode}{(agent.Killed ? " (killed)" : "")}", important: agent.ExitCode != 0 && !agent.Killed).ConfigureAwait(false);
                    continue;
                }

                if (agent.Apply(e) is { } line)
                {
                    await NoteAsync(line, important: false).ConfigureAwait(false);
                }

                // Midway, kill an agent while it writes, so it dies holding its worker lock and its reservations.
                if (!killed && e.Kind == EventKinds.WriteBegin && _processes.Keys.Sum(a => a.Rounds) * 3 >= plannedRounds
                    && await KillAndRestartAsync(agent, layout).ConfigureAwait(false))
                {
                    killed = true;
                    running++;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await output.WriteLineAsync($"The swarm did not finish within {Deadline.TotalMinutes} minutes; stopping it.").ConfigureAwait(false);
            foreach (var process in _processes.Values.Where(p => !p.HasExited))
            {
                process.Kill(entireProcessTree: true);
            }

            return 1;
        }

        await RenderAsync(final: true).ConfigureAwait(false);
        var report = SwarmReport.From([.. SwarmReport.ReadLogs(layout.Logs)], _deathsNs);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteAsync(report.Table).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteAsync(report.MetricsTable).ConfigureAwait(false);
        await output.WriteLineAsync(report.InvariantText()).ConfigureAwait(false);

        // The guard is not decoration: an edit nobody reserved for its author is refused at the commit.
        var violation = await GuardedCommits.DeliberateViolationAsync(layout, options).ConfigureAwait(false);
        var guardHolds = violation is not null;
        await output.WriteLineAsync(guardHolds
            ? $"commit guard: OK: the deliberate violation (guard-intruder commits src/auth/login.cs, reserved by guard-owner) was refused{Environment.NewLine}  {violation!.Split('\n')[0]}"
            : "commit guard: FAILED: the deliberate violation was committed").ConfigureAwait(false);
        var failed = _processes.Keys.Where(a => !a.Killed && a.ExitCode != 0).ToList();
        foreach (var agent in failed)
        {
            await output.WriteLineAsync($"agent {agent.Role} (pid {agent.Pid}) failed with exit code {agent.ExitCode}").ConfigureAwait(false);
        }

        await output.WriteLineAsync($"run directory: {layout.Root} ({_clock.Elapsed.TotalSeconds:0.0} s)").ConfigureAwait(false);
        if (!options.Keep && report.InvariantHolds && guardHolds && failed.Count == 0)
        {
            Directory.Delete(layout.Root, recursive: true);
            await DropSchemaAsync().ConfigureAwait(false);
        }

        return report.InvariantHolds && guardHolds && failed.Count == 0 ? 0 : 1;
    }

    /// <summary>On PostgreSQL, a successful run leaves no tables behind, as it leaves no directory.</summary>
    private async Task DropSchemaAsync()
    {
        if (options.Postgres is null)
        {
            return;
        }

        await using var dataSource = Npgsql.NpgsqlDataSource.Create(options.Postgres);
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{options.PostgresSchema}\" CASCADE");
        await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private async Task<(AgentView, SwarmEvent?)> NextAsync(CancellationToken cancellationToken)
    {
        if (!terminal)
        {
            return await _events.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        // On a terminal, redraw the board at most every 200 ms while events keep coming.
        while (true)
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            tick.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                var next = await _events.Reader.ReadAsync(tick.Token).ConfigureAwait(false);
                if (_clock.Elapsed - _lastRender > TimeSpan.FromMilliseconds(200))
                {
                    await RenderAsync(final: false).ConfigureAwait(false);
                }

                return next;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await RenderAsync(final: false).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Kills the agent unless it already exited (its events may lag behind it); true when it was killed.</summary>
    private async Task<bool> KillAndRestartAsync(AgentView victim, RunLayout layout)
    {
        var process = _processes[victim];
        if (process.HasExited || victim.Rounds >= options.Rounds - 1)
        {
            return false;
        }

        await NoteAsync($"kill -9 {victim.Role} (pid {victim.Pid}) while it {victim.State}", important: true).ConfigureAwait(false);
        victim.Killed = true;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().ConfigureAwait(false);
        _deathsNs[victim.Pid] = SwarmClock.NowNs();
        var replacement = Start(victim.Role, Math.Max(1, options.Rounds - victim.Rounds), layout);
        var identity = options.Postgres is null
            ? "it takes over the stale identity lock at once"
            : "it gets the identity lock once the server has ended the dead process's session";
        await NoteAsync($"restarted {victim.Role} as pid {replacement.Pid}: {identity}; the dead process's reservations come back when their {options.LeaseSeconds} s lease runs out", important: true).ConfigureAwait(false);
        return true;
    }

    private AgentView Start(string role, int rounds, RunLayout layout)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            // Started as "dotnet AgentSwarm.dll": start the children the same way.
            start.ArgumentList.Add(typeof(Orchestrator).Assembly.Location);
        }

        foreach (var arg in (options with { Rounds = rounds }).AgentArguments(role, layout.Root))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start an agent process.");
        var view = new AgentView(role, process.Id);
        _processes[view] = process;
        _ = PumpAsync(view, process);
        return view;
    }

    /// <summary>Forwards a child's events; stderr is shown as it comes, since it only carries failures.</summary>
    private async Task PumpAsync(AgentView view, Process process)
    {
        var errors = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                await _events.Writer.WriteAsync((view, new SwarmEvent { Agent = view.Role, Pid = view.Pid, Kind = EventKinds.Stderr, Detail = line })).ConfigureAwait(false);
            }
        });
        while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (SwarmEvent.TryParse(line) is { } e)
            {
                await _events.Writer.WriteAsync((view, e)).ConfigureAwait(false);
            }
        }

        await errors.ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        view.ExitCode = process.ExitCode;
        await _events.Writer.WriteAsync((view, null)).ConfigureAwait(false);
    }

    private async Task NoteAsync(string line, bool important)
    {
        var stamped = string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:0.00}s] {(important ? "!! " : "")}{line}");
        if (!terminal)
        {
            await output.WriteLineAsync(stamped).ConfigureAwait(false);
            return;
        }

        _recent.Add(stamped);
        if (_recent.Count > 8)
        {
            _recent.RemoveAt(0);
        }
    }

    /// <summary>The live board on a terminal: one line per agent and the latest notable events, redrawn in place.</summary>
    private async Task RenderAsync(bool final)
    {
        if (!terminal)
        {
            return;
        }

        var lines = new List<string> { $"elapsed {_clock.Elapsed.TotalSeconds:0.0}s" };
        lines.AddRange(_processes.Keys.OrderBy(a => a.Role, StringComparer.Ordinal).ThenBy(a => a.Pid).Select(a =>
            $"  {(a.Killed ? "\u001b[31m" : a.Writing ? "\u001b[32m" : a.Holding ? "\u001b[33m" : "")}{a.Role,-16} pid {a.Pid,-7} rounds {a.Rounds,3}  conflicts {a.Conflicts,3}  {(a.Killed ? "KILLED" : a.State)}\u001b[0m"));
        lines.Add("");
        lines.AddRange(_recent);
        _lastRender = _clock.Elapsed;

        // Read at every frame: a resized terminal gets a frame of its new size.
        var (width, height) = (Console.WindowWidth, Console.WindowHeight);
        var frame = BoardFrame.Fit(lines, width, height);
        await output.WriteAsync(BoardFrame.Redraw(frame, _renderedLines, resized: _renderedLines > 0 && width != _renderedWidth)).ConfigureAwait(false);
        _renderedLines = final ? 0 : frame.Count;
        _renderedWidth = width;
    }
}
