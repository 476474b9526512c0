using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.FaultTests;

/// <summary>The file store beside beadboard's own writer (a separate process following beadboard's protocol).</summary>
[Collection(nameof(StoreMutexSeam))]
public sealed class BesideBeadboardTests : IDisposable
{
    private readonly StoreRoot _root = new();

    public void Dispose() => _root.Dispose();

    /// <summary>
    /// Finding 1: a dead holder's lock is judged stale; before it is removed, its file goes and a live beadboard
    /// holder creates a new one. Only the very file judged may be removed: the live holder keeps its mutex.
    /// </summary>
    [Fact]
    public async Task Removing_a_stale_lock_never_removes_a_live_beadboard_holders_lock()
    {
        await File.WriteAllTextAsync(_root.Lock, (await DeadPidAsync()).ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var beadboard = Processes.Start(Processes.ForeignWriter, ["hold", _root.Path]);
        var held = new TaskCompletionSource();
        StoreMutex.BeforeStaleRemoval = async () =>
        {
            StoreMutex.BeforeStaleRemoval = null;
            File.Delete(_root.Lock);

            // The beadboard holder is retrying every 50 ms; it takes the mutex now that the path is free.
            Assert.Equal("holding", await beadboard.ReadLineAsync());
            held.SetResult();
        };
        try
        {
            // beadboard holds the mutex from inside the window: our call must wait for it until its timeout, not
            // remove its file and go in.
            var store = new FileReservationStore(_root.Path, new ReservationStoreOptions { LockTimeout = TimeSpan.FromSeconds(2) });
            var refused = await Assert.ThrowsAsync<AgentLocksException>(() => store.RegisterAgentAsync(AgentId.Parse("agent-a")).WaitAsync(Processes.HangBound));
            Assert.True(held.Task.IsCompletedSuccessfully, "the stale lock was never judged");
            Assert.Equal(ErrorCode.Locked, refused.Code);
            Assert.Equal(beadboard.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), await File.ReadAllTextAsync(_root.Lock));

            await beadboard.StandardInput.WriteLineAsync("release");
            Assert.Equal("released", await beadboard.ReadLineAsync());
            await store.RegisterAgentAsync(AgentId.Parse("agent-a")).WaitAsync(Processes.HangBound);
        }
        finally
        {
            StoreMutex.BeforeStaleRemoval = null;
        }
    }

    /// <summary>Finding 3: a bead id beadboard accepts (PROJ/123, a Jira key) is read, kept verbatim and accepted by our API too.</summary>
    [Fact]
    public async Task Foreign_bead_ids_and_fields_are_read_kept_verbatim_and_accepted()
    {
        var granted = await Processes.RunAsync(Processes.ForeignWriter, ["reserve", _root.Path, "agent-a", "src/auth", "PROJ/123", "60"]);
        Assert.Equal(0, granted.ExitCode);
        var active = JsonNode.Parse(await File.ReadAllTextAsync(_root.Active))!;
        active["reservations"]![0]!["beadboard_note"] = new JsonObject { ["by"] = "a person", ["list"] = new JsonArray(1, 2) };
        await File.WriteAllTextAsync(_root.Active, active.ToJsonString());

        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "agent", "register", "--agent", "agent-b")).ExitCode);
        var status = await Processes.CliAsync(_root.Path, "status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("PROJ/123", status.Stdout, StringComparison.Ordinal);

        var conflict = await Processes.CliAsync(_root.Path, "reserve", "--agent", "agent-b", "--scope", "src/auth", "--bead", "JIRA-7");
        Assert.Equal("RESERVATION_CONFLICT", conflict.Code);
        var mine = await Processes.CliAsync(_root.Path, "reserve", "--agent", "agent-b", "--scope", "docs", "--bead", "PROJ/124");
        Assert.True(mine.ExitCode == 0, mine.ToString());

        var doctor = await Processes.CliAsync(_root.Path, "doctor", "--fix");
        Assert.True(doctor.ExitCode == 0, doctor.ToString());
        Assert.DoesNotContain("damaged", doctor.Stdout, StringComparison.Ordinal);

        // Our rewrites kept beadboard's entry as it was, its extra field included.
        var kept = JsonNode.Parse(await File.ReadAllTextAsync(_root.Active))!["reservations"]!.AsArray()
            .Single(r => (string?)r!["bead_id"] == "PROJ/123")!;
        Assert.Equal("""{"by":"a person","list":[1,2]}""", kept["beadboard_note"]!.ToJsonString());
        Assert.Equal(BeadId.Parse("PROJ/123"), BeadId.Parse("PROJ/123"));
    }

    /// <summary>Finding 4: one byte appended to active.json, then doctor --fix: the live lease stays held.</summary>
    [Fact]
    public async Task Doctor_fix_keeps_the_live_leases_of_a_damaged_active_file()
    {
        foreach (var agent in new[] { "agent-a", "agent-b" })
        {
            Assert.Equal(0, (await Processes.CliAsync(_root.Path, "agent", "register", "--agent", agent)).ExitCode);
        }

        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1", "--ttl", "60")).ExitCode);
        await File.AppendAllTextAsync(_root.Active, "x");
        Assert.Equal("STORE_CORRUPT", (await Processes.CliAsync(_root.Path, "status")).Code);

        var doctor = await Processes.CliAsync(_root.Path, "doctor", "--fix");
        Assert.True(doctor.ExitCode == 0, doctor.ToString());
        Assert.Contains("kept 1 reservation", doctor.Stdout, StringComparison.Ordinal);

        var taken = await Processes.CliAsync(_root.Path, "reserve", "--agent", "agent-b", "--scope", "src/x", "--bead", "bd-2");
        Assert.Equal("RESERVATION_CONFLICT", taken.Code);
        Assert.Single(Directory.EnumerateFiles(_root.File("reservations"), "active.json.damaged-*"));
    }

    /// <summary>Finding 4, history: a damaged line is quarantined, the others and the live lease kept.</summary>
    [Fact]
    public async Task Doctor_fix_keeps_the_readable_history_and_quarantines_only_the_damaged_line()
    {
        var store = new FileReservationStore(_root.Path);
        var (a, b) = (AgentId.Parse("agent-a"), AgentId.Parse("agent-b"));
        await store.RegisterAgentAsync(a);
        await store.RegisterAgentAsync(b);
        await (await store.ReserveAsync(new ReservationRequest(a, ScopePattern.Parse("one"), BeadId.Parse("bd-1")))).DisposeAsync();
        LeftHeld.OnPurpose(await store.ReserveAsync(new ReservationRequest(a, ScopePattern.Parse("two"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(60))));
        var lines = (await File.ReadAllLinesAsync(_root.History)).ToList();
        lines.Insert(1, "{not json");
        await File.WriteAllLinesAsync(_root.History, lines);

        var doctor = await Processes.CliAsync(_root.Path, "doctor", "--fix");
        Assert.True(doctor.ExitCode == 0, doctor.ToString());
        Assert.Contains("could not read line(s) 2", doctor.Stdout, StringComparison.Ordinal);
        Assert.Equal(lines.Where(l => l != "{not json"), await File.ReadAllLinesAsync(_root.History));
        Assert.Equal(lines, await File.ReadAllLinesAsync(Directory.EnumerateFiles(_root.File("reservations"), "history.jsonl.damaged-*").Single()));
        var taken = await store.TryReserveAsync(new ReservationRequest(b, ScopePattern.Parse("two"), BeadId.Parse("bd-2")));
        await using var unexpected = taken.Handle; // released if the store wrongly granted it
        Assert.Equal(ErrorCode.ReservationConflict, taken.Error?.Code);
    }

    /// <summary>
    /// Finding 5 (and the fair mutex): beadboard loops and AgentLocks loops on one root. beadboard gives up after
    /// 100 x 50 ms; beside the queue it never does, and no reservation of either side is lost.
    /// </summary>
    [Fact]
    public async Task Beadboard_never_times_out_and_nothing_is_lost_beside_agentlocks_loops()
    {
        var pairs = Processes.Torture ? 4 : 3;
        var beadboardRounds = Processes.Torture ? 400 : 25;
        var store = new FileReservationStore(_root.Path);
        for (var i = 0; i < pairs; i++)
        {
            await store.RegisterAgentAsync(AgentId.Parse($"ours-{i}"));
        }

        var ours = Enumerable.Range(0, pairs).Select(i => Processes.Start(Processes.Taker, ["reserve", "timed", _root.Path, $"ours-{i}", $"ours/{i}", "bd-1", Processes.Torture ? "1500" : "150"])).ToList();
        var theirs = Enumerable.Range(0, pairs).Select(i => Processes.Start(Processes.ForeignWriter, ["loop", _root.Path, $"theirs-{i}", $"theirs/{i}", "bb-1", beadboardRounds.ToString(System.Globalization.CultureInfo.InvariantCulture)])).ToList();
        foreach (var process in theirs)
        {
            var line = await process.ReadLineAsync();
            Assert.Equal($"done granted={beadboardRounds} conflicts=0 timeouts=0 lost=0", line);
        }

        foreach (var process in ours)
        {
            var line = await process.ReadLineAsync();
            Assert.Matches("^timed ok=[0-9]+ locked=0 lost=0 ", line);
            Console.WriteLine("AgentLocks loop beside beadboard: " + line);
            process.Dispose();
        }

        Assert.Empty((await store.GetStatusAsync()).Reservations);
    }

    /// <summary>Finding 6: reserve, renew and a live handle's auto-renew refresh the agent's last_seen_at (beadboard's liveness).</summary>
    [Fact]
    public async Task Reserve_renew_and_auto_renew_refresh_last_seen_at()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds())); // beadboard keeps milliseconds
        var store = new FileReservationStore(_root.Path, new ReservationStoreOptions { TimeProvider = time });
        var agent = AgentId.Parse("agent-a");
        await store.RegisterAgentAsync(agent);
        var path = _root.File("agents", "agent-a.json");
        var extra = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        extra["display_name"] = "Agent A (UI) ✓";
        extra["beadboard_only"] = "kept";
        await File.WriteAllTextAsync(path, extra.ToJsonString());
        DateTimeOffset LastSeen() => DateTimeOffset.Parse((string)JsonNode.Parse(File.ReadAllText(path))!["last_seen_at"]!, System.Globalization.CultureInfo.InvariantCulture);

        time.Advance(TimeSpan.FromMinutes(10));
        await using var held = await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("src"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(30)) { AutoRenew = true });
        Assert.Equal(time.GetUtcNow(), LastSeen());

        time.Advance(TimeSpan.FromMinutes(5));
        await store.RenewAsync(agent, ScopePattern.Parse("src"));
        Assert.Equal(time.GetUtcNow(), LastSeen());

        time.Advance(TimeSpan.FromMinutes(10)); // a third of the TTL: the monitor renews
        await held.LastMonitorTick;
        Assert.Equal(time.GetUtcNow(), LastSeen());

        var record = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        Assert.Equal("Agent A (UI) ✓", (string?)record["display_name"]);
        Assert.Equal("kept", (string?)record["beadboard_only"]);
    }

    private static async Task<int> DeadPidAsync()
    {
        using var process = Process.Start("true")!;
        await process.WaitForExitAsync();
        return process.Id;
    }
}

/// <summary>Tests that set <see cref="StoreMutex"/>'s static seam run one at a time.</summary>
[CollectionDefinition(nameof(StoreMutexSeam), DisableParallelization = true)]
public sealed class StoreMutexSeam
{
}
