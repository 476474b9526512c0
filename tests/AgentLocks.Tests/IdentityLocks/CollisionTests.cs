namespace AgentLocks.Tests.IdentityLocks;

/// <summary>Collision detection against tmux: pane, window and session ids are told apart, and every socket is asked.</summary>
public sealed class CollisionTests : IDisposable
{
    private const int DeadPid = 424242;
    private readonly TempWorker _temp = new();
    private readonly FakeProcessProbe _probe = new();
    private readonly FakeTmux _tmux = new();

    public CollisionTests()
    {
        _probe.Dead.Add(DeadPid);
        _tmux.Servers["gt"] = "gt-polecat-1\t$3\t@5\t%12\n";
        _tmux.Servers["other"] = "build\t$0\t@0\t%0\nbuild\t$0\t@1\t%4\n";
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Tmux_output_is_read_by_kind()
    {
        var targets = TmuxCli.Parse("gt-polecat-1\t$3\t@5\t%12\n\nnot a pane line\n");
        foreach (var live in new[] { "gt-polecat-1", "$3", "@5", "%12" })
        {
            Assert.True(targets.Contains(SessionId.Parse(live)), live);
        }

        // The same numbers under another sigil are other targets: pane %3 is not session $3.
        foreach (var gone in new[] { "%3", "@3", "$12", "@12", "%5", "$5", "polecat" })
        {
            Assert.False(targets.Contains(SessionId.Parse(gone)), gone);
        }
    }

    [Fact]
    public async Task Live_holders_on_any_socket_are_fine_and_the_rest_are_reported()
    {
        var onGt = Lock("on-gt-pane", "%12");
        var onOther = Lock("on-other-window", "@1");
        var byName = Lock("by-name", "gt-polecat-1");
        var paneNotSession = Lock("pane-3", "%3");
        var sessionNotPane = Lock("session-12", "$12");
        var stale = Lock("stale", "%12", DeadPid);
        var noSession = Lock("no-session", null);

        var report = await WorkerIdentityLock.DetectCollisionsAsync(_temp.Root, ["gt", "other"], Environment(), default);

        Assert.Equal(["gt", "other"], _tmux.Asked);
        Assert.Equal(
            [(paneNotSession, WorkerLockCollisionKind.SessionNotFound), (sessionNotPane, WorkerLockCollisionKind.SessionNotFound), (stale, WorkerLockCollisionKind.Stale)],
            report.Collisions.Select(c => (c.Status.Worker, c.Kind)));
        Assert.Contains("pane %3", report.Collisions[0].Message, StringComparison.Ordinal);
        Assert.Contains("session $12", report.Collisions[1].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(report.Collisions, c => c.Status.Worker is var w && (w == onGt || w == onOther || w == byName || w == noSession));
    }

    [Fact]
    public async Task Without_sockets_the_default_server_is_asked_once()
    {
        Lock("w", "%12");
        _tmux.Servers[string.Empty] = "main\t$1\t@1\t%1\n";

        var report = await WorkerIdentityLock.DetectCollisionsAsync(_temp.Root, null, Environment(), default);

        Assert.Equal([string.Empty], _tmux.Asked);
        Assert.Null(Assert.Single(report.Sockets));
        Assert.Equal(WorkerLockCollisionKind.SessionNotFound, Assert.Single(report.Collisions).Kind);
    }

    private LockEnvironment Environment() => _probe.Environment() with { Tmux = _tmux };

    private string Lock(string name, string? session, int? pid = null)
    {
        var worker = _temp.NewWorker(name);
        var sessionField = session is null ? string.Empty : $$""", "session_id": "{{session}}" """;
        TempWorker.WriteLock(worker, $$"""{"pid": {{pid ?? System.Environment.ProcessId}}, "acquired_at": "2026-11-23T18:00:00Z", "hostname": "{{_probe.HostName}}"{{sessionField}}}""");
        return worker;
    }

    /// <summary>tmux servers by socket name ("" for the default one), answering as <c>list-panes -a</c> does.</summary>
    private sealed class FakeTmux : ITmuxProbe
    {
        public Dictionary<string, string> Servers { get; } = [];

        public List<string> Asked { get; } = [];

        public Task<TmuxTargets> ListAsync(string? socket, CancellationToken cancellationToken)
        {
            Asked.Add(socket ?? string.Empty);
            return Task.FromResult(Servers.TryGetValue(socket ?? string.Empty, out var output) ? TmuxCli.Parse(output) : TmuxTargets.Empty);
        }
    }
}
