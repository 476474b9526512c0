using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentLocks.FaultTests;

/// <summary>Failed writes, kill -9 between writes, restored copies, wedged mutexes.</summary>
[Collection(nameof(StoreMutexSeam))]
public sealed class FaultInjectionTests : IDisposable
{
    private static readonly AgentId AgentA = AgentId.Parse("agent-a");
    private readonly StoreRoot _root = new();

    public void Dispose() => _root.Dispose();

    /// <summary>
    /// Finding 7: the history append fails (a file-size limit; SIGXFSZ ignored, so the write gets EFBIG, as with a
    /// full disk): the call reports failure and changed nothing; the next call, without the limit, works.
    /// </summary>
    [Fact]
    public async Task A_commit_whose_history_append_fails_changes_nothing()
    {
        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "agent", "register", "--agent", "agent-a")).ExitCode);
        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "reserve", "--agent", "agent-a", "--scope", "one", "--bead", "bd-1")).ExitCode);

        // Fill the history to just under the limit (1 KiB blocks), so the next line crosses it and active.json does not;
        // with another writer's lines (no batch of ours), which the next call keeps.
        const int limitBlocks = 64;
        var line = System.Text.RegularExpressions.Regex.Replace(await File.ReadAllTextAsync(_root.History), ",\"agentlocks_batch\":[0-9]+", "");
        var padded = new System.Text.StringBuilder(line);
        while (padded.Length + line.Length < (limitBlocks * 1024) - 40)
        {
            padded.Append(line);
        }

        await File.WriteAllTextAsync(_root.History, padded.ToString());

        // The fencing ceiling may be raised before the writes (it only ever skips tokens); everything else stays.
        var before = _root.Snapshot("agentlocks.json");

        var failed = await Processes.RunAsync(Processes.Cli, ["reserve", "--agent", "agent-a", "--scope", "two", "--bead", "bd-1", "--root", _root.Path, "--json"],
            ["bash", "-c", $"trap '' XFSZ; ulimit -f {limitBlocks}; export DOTNET_EnableWriteXorExecute=0; exec \"$@\"", "limited"]); // W^X maps a large memfd, over the limit
        Assert.NotEqual(0, failed.ExitCode);
        Assert.True(failed.Stdout.Contains("nothing was changed", StringComparison.Ordinal), failed.Stdout);
        Assert.Equal(before, _root.Snapshot("agentlocks.json"));

        var status = await Processes.CliAsync(_root.Path, "status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.DoesNotContain("\"two\"", status.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "reserve", "--agent", "agent-a", "--scope", "two", "--bead", "bd-1")).ExitCode);
    }

    /// <summary>Finding 7: kill -9 after the history line is written and before active.json is: the next call repairs it by itself.</summary>
    [Fact]
    public async Task A_kill_between_the_two_writes_is_repaired_by_the_next_call()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        await (await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("one"), BeadId.Parse("bd-1")))).DisposeAsync();
        var committed = await File.ReadAllBytesAsync(_root.History);

        using (var crashing = Processes.Start(Processes.Taker, ["reserve", "crash-at", "history-appended", _root.Path, "agent-a", "two", "bd-2"]))
        {
            Assert.Equal("paused", await crashing.ReadLineAsync());
            Assert.True(new FileInfo(_root.History).Length > committed.Length, "the history line was written");
            crashing.Kill();
            await crashing.WaitForExitAsync();
        }

        File.Delete(_root.Lock); // what a killed holder leaves is removed by the next call anyway; here its PID may be reused

        var status = await store.GetStatusAsync();
        Assert.Empty(status.Reservations);
        Assert.Equal(committed, await File.ReadAllBytesAsync(_root.History));
        await using var two = await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("two"), BeadId.Parse("bd-2")));
    }

    /// <summary>
    /// kill -9 after a commit staged its new active.json and before the rename leaves the staged file; doctor names it,
    /// <c>--fix</c> removes it, and neither touches another tool's temporary file or one whose writer still runs.
    /// </summary>
    [Fact]
    public async Task A_new_version_left_by_a_kill_before_its_rename_is_found_by_doctor_and_removed_by_fix()
    {
        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "agent", "register", "--agent", "agent-a")).ExitCode);
        using (var crashing = Processes.Start(Processes.Taker, ["reserve", "crash-at", "history-appended", _root.Path, "agent-a", "two", "bd-2"]))
        {
            Assert.Equal("paused", await crashing.ReadLineAsync());
            crashing.Kill();
            await crashing.WaitForExitAsync();
        }

        var left = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(_root.Active)!, "active.json.tmp-*"));
        var beadboards = _root.File("reservations", "active.json.tmp");
        var running = _root.File("reservations", $"active.json.tmp-{Environment.ProcessId}-0123456789abcdef");
        await File.WriteAllTextAsync(beadboards, "{}");
        await File.WriteAllTextAsync(running, "{}");

        var found = await Processes.CliAsync(_root.Path, "doctor");
        Assert.True(found.ExitCode == 0, found.ToString());
        var finding = Assert.Single(JsonNode.Parse(found.Stdout)!["data"]!["findings"]!.AsArray(), f => (string?)f!["kind"] == "leftover-temp-file")!;
        Assert.Equal(left, (string?)finding["path"]);
        Assert.True(File.Exists(left));

        var fixedIt = await Processes.CliAsync(_root.Path, "doctor", "--fix");
        Assert.True(fixedIt.ExitCode == 0, fixedIt.ToString());
        Assert.Contains(JsonNode.Parse(fixedIt.Stdout)!["data"]!["findings"]!.AsArray(), f => (string?)f!["kind"] == "leftover-temp-file" && (string?)f["action"] == "removed");
        Assert.False(File.Exists(left));
        Assert.True(File.Exists(beadboards));
        Assert.True(File.Exists(running));
    }

    /// <summary>
    /// A commit lets go of the mutex before its last sync (the directory's, which makes active.json's rename survive a
    /// power cut), so the next writer need not wait for the device. The next commit sees that sync still running (and
    /// chains onto it, below); once the process is killed, the kernel drops its mark and the commit after sees none.
    /// </summary>
    [Fact]
    public async Task A_commit_lets_go_of_the_mutex_before_its_last_sync_and_the_next_commit_sees_it_unsynced()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        var reservations = Path.GetDirectoryName(_root.Active)!;
        List<string> points = [];
        FileReservationPersistence.FaultPoint = (point, directory) =>
        {
            if (directory == reservations && point != "handed-over") // a commit handed over or settled under the mutex meets the same points otherwise
            {
                lock (points)
                {
                    points.Add(point);
                }
            }
        };
        try
        {
            ReservationHandle three;
            var unsynced = Processes.Start(Processes.Taker, ["reserve", "crash-at", "directory-unsynced", _root.Path, "agent-a", "two", "bd-2"]);
            try
            {
                Assert.Equal("paused", await unsynced.ReadLineAsync());
                three = await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("three"), BeadId.Parse("bd-3")));
                Assert.Equal(["earlier-commit-unsynced", "history-appended", "directory-unsynced"], points);
            }
            finally
            {
                unsynced.Kill();
                await unsynced.WaitForExitAsync();
                unsynced.Dispose();
            }

            await using (three)
            {
                points.Clear();
                await using var four = await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("four"), BeadId.Parse("bd-4")));
                Assert.Equal(["history-appended", "directory-unsynced"], points); // the kernel dropped the killed commit's mark
                Assert.Equal(["four", "three", "two"], (await store.GetStatusAsync()).Reservations.Select(r => r.Scope.Value).Order(StringComparer.Ordinal));
            }
        }
        finally
        {
            FileReservationPersistence.FaultPoint = null;
        }
    }

    /// <summary>
    /// A commit that comes while an earlier one's rename is not yet durable appends at once, its lines naming the
    /// earlier one's batch. A power cut may then leave active.json before the earlier commit or at it, with the later
    /// lines in the history; the next call cuts every line that active.json does not stand for, and nothing else.
    /// </summary>
    [Fact]
    public async Task A_commit_after_one_whose_rename_is_not_yet_durable_chains_onto_it_and_a_power_cut_loses_both_cleanly()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        await (await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("one"), BeadId.Parse("bd-1")))).DisposeAsync();
        var (beforeBoth, historyBeforeBoth) = (await File.ReadAllBytesAsync(_root.Active), await File.ReadAllBytesAsync(_root.History));
        byte[] atEarlier, historyAtEarlier, historyWithBoth;
        var points = new List<string>();
        FileReservationPersistence.FaultPoint = (point, _) =>
        {
            lock (points)
            {
                if (point != "handed-over")
                {
                    points.Add(point);
                }
            }
        };
        var unsynced = Processes.Start(Processes.Taker, ["reserve", "crash-at", "directory-unsynced", _root.Path, "agent-a", "two", "bd-2"]);
        try
        {
            Assert.Equal("paused", await unsynced.ReadLineAsync());
            (atEarlier, historyAtEarlier) = (await File.ReadAllBytesAsync(_root.Active), await File.ReadAllBytesAsync(_root.History));
            LeftHeld.OnPurpose(await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("three"), BeadId.Parse("bd-3"))));
            historyWithBoth = await File.ReadAllBytesAsync(_root.History);
            Assert.Equal(["earlier-commit-unsynced", "history-appended", "directory-unsynced"], points);
        }
        finally
        {
            FileReservationPersistence.FaultPoint = null;
            unsynced.Kill();
            await unsynced.WaitForExitAsync();
            unsynced.Dispose();
        }

        // Both commits' lines name where the earlier one began.
        var batches = Lines(historyWithBoth[historyBeforeBoth.Length..]).Select(l => (long?)JsonNode.Parse(l)!["agentlocks_batch"]).ToList();
        Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.Equal(historyBeforeBoth.Length, b));

        // The power cut lost the later rename: the later commit's lines go.
        await File.WriteAllBytesAsync(_root.Active, atEarlier);
        Assert.Equal(["two"], (await store.GetStatusAsync()).Reservations.Select(r => r.Scope.Value));
        Assert.Equal(historyAtEarlier, await File.ReadAllBytesAsync(_root.History));

        // It lost both renames: both commits' lines go.
        await File.WriteAllBytesAsync(_root.History, historyWithBoth);
        await File.WriteAllBytesAsync(_root.Active, beforeBoth);
        Assert.Empty((await store.GetStatusAsync()).Reservations);
        Assert.Equal(historyBeforeBoth, await File.ReadAllBytesAsync(_root.History));

        // What the history says stays so: the next commit chains onto nothing and names its own start.
        await using var four = await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("four"), BeadId.Parse("bd-4")));
        Assert.Equal(historyBeforeBoth.Length, (long?)JsonNode.Parse(Lines((await File.ReadAllBytesAsync(_root.History))[historyBeforeBoth.Length..]).Single())!["agentlocks_batch"]);

        static string[] Lines(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Lines past what active.json names that name an earlier batch, but not the one active.json's own commit is part of, are no chain of ours: kept.</summary>
    [Fact]
    public async Task Lines_naming_an_earlier_batch_that_is_not_the_last_commits_are_kept()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        await (await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("one"), BeadId.Parse("bd-1")))).DisposeAsync();
        var first = (await File.ReadAllLinesAsync(_root.History))[0];
        await File.AppendAllTextAsync(_root.History, first + "\n"); // names batch 0; the release's line before it names its own
        var history = await File.ReadAllBytesAsync(_root.History);

        Assert.Empty((await store.GetStatusAsync()).Reservations);
        Assert.Equal(history, await File.ReadAllBytesAsync(_root.History));
    }

    /// <summary>Finding 7: a crash in the middle of the append leaves a cut-off last line; the next call cuts it away instead of refusing.</summary>
    [Fact]
    public async Task A_history_line_cut_off_by_a_crash_is_repaired_by_the_next_call()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        await (await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("one"), BeadId.Parse("bd-1")))).DisposeAsync();
        var committed = await File.ReadAllBytesAsync(_root.History);
        await File.AppendAllTextAsync(_root.History, """{"reservation_id":"res-x","scope":"two","agent_id":"agent-a","bead_""");

        await using var two = await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("two"), BeadId.Parse("bd-2")));
        Assert.StartsWith(Convert.ToHexString(committed), Convert.ToHexString(await File.ReadAllBytesAsync(_root.History)), StringComparison.Ordinal);
        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "status")).ExitCode);
    }

    /// <summary>Finding 8: active.json restored from an older copy: the next token is above every token handed out.</summary>
    [Fact]
    public async Task Fencing_tokens_never_repeat_after_active_json_is_restored_from_an_older_copy()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        var request = new ReservationRequest(AgentA, ScopePattern.Parse("src"), BeadId.Parse("bd-1"));
        await (await store.ReserveAsync(request)).DisposeAsync();
        var copy = await File.ReadAllBytesAsync(_root.Active);
        long highest = 0;
        for (var i = 0; i < 3; i++)
        {
            await using var held = await store.ReserveAsync(request);
            highest = held.FencingToken.Value;
        }

        await File.WriteAllBytesAsync(_root.Active, copy);
        await using var next = await store.ReserveAsync(request);
        Assert.True(next.FencingToken.Value > highest, $"token {next.FencingToken.Value} after {highest}");
    }

    /// <summary>Issue 11's contract: fencing values at the ends of the range are damage (exit 5, nothing changed), never exit 1.</summary>
    [Theory]
    [InlineData("active", "-1")]
    [InlineData("active", "9223372036854775807")]
    [InlineData("ceiling", "-1")]
    [InlineData("ceiling", "9223372036854775807")]
    public async Task Fencing_values_out_of_range_are_store_corrupt(string file, string value)
    {
        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "agent", "register", "--agent", "agent-a")).ExitCode);
        if (file == "active")
        {
            await File.WriteAllTextAsync(_root.Active, $"{{\"reservations\": [], \"agentlocks_last_fencing_token\": {value}}}\n");
        }
        else
        {
            await File.WriteAllTextAsync(_root.Ceiling, $"{{\"fencing_token_ceiling\": {value}}}\n");
        }

        var before = _root.Snapshot();
        var reserve = await Processes.CliAsync(_root.Path, "reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1");
        Assert.True(reserve.ExitCode == 5 && reserve.Code == "STORE_CORRUPT", reserve.ToString());
        Assert.Equal(before, _root.Snapshot());
    }

    /// <summary>Finding 9: a beadboard lock (PID only) whose PID now belongs to a process started after the file was written is stale.</summary>
    [Fact]
    public async Task A_beadboard_lock_whose_pid_was_reused_by_a_later_process_is_stale()
    {
        using var later = Process.Start("sleep", "120")!;
        try
        {
            await File.WriteAllTextAsync(_root.Lock, later.Id.ToString(CultureInfo.InvariantCulture));
            File.SetLastWriteTimeUtc(_root.Lock, DateTime.UtcNow.AddHours(-1));
            var store = new FileReservationStore(_root.Path, new ReservationStoreOptions { LockTimeout = TimeSpan.FromSeconds(5) });
            await store.RegisterAgentAsync(AgentA);
        }
        finally
        {
            later.Kill();
        }
    }

    /// <summary>Finding 9: a stopped process holding the side locks (the guard file, the queue on the directory) cannot make a waiter wait past its timeout.</summary>
    [Fact]
    public async Task Waiting_behind_a_stopped_process_ends_at_the_timeout()
    {
        await File.WriteAllTextAsync(_root.Lock, "999999999\n"); // stale: somebody must judge it, under the side locks
        var start = new ProcessStartInfo("flock", [_root.Lock + ".guard", "flock", _root.File("reservations"), "sh", "-c", "echo holding; exec sleep 120"]) { RedirectStandardOutput = true };
        using var guard = Process.Start(start)!;
        try
        {
            Assert.Equal("holding", await guard.ReadLineAsync());
            var store = new FileReservationStore(_root.Path, new ReservationStoreOptions { LockTimeout = TimeSpan.FromSeconds(1) });
            var locked = await Assert.ThrowsAsync<AgentLocksException>(() => store.RegisterAgentAsync(AgentA).WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(ErrorCode.Locked, locked.Code);
        }
        finally
        {
            guard.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Finding 9 and the fair mutex: 8 processes on disjoint scopes beside 100 active reservations; nobody gets LOCKED.</summary>
    [Fact]
    public async Task Eight_processes_on_disjoint_scopes_are_never_locked_out()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        for (var i = 0; i < 100; i++)
        {
            LeftHeld.OnPurpose(await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse($"held/{i}"), BeadId.Parse("bd-1"), TimeSpan.FromHours(1)))); // the load the workers meet
        }

        for (var i = 0; i < 8; i++)
        {
            await store.RegisterAgentAsync(AgentId.Parse($"worker-{i}"));
        }

        var rounds = Processes.Torture ? "400" : "40";
        var workers = Enumerable.Range(0, 8).Select(i => Processes.Start(Processes.Taker, ["reserve", "timed", _root.Path, $"worker-{i}", $"work/{i}", "bd-2", rounds])).ToList();
        foreach (var worker in workers)
        {
            var line = await worker.ReadLineAsync();
            Console.WriteLine("8 processes, 100 active: " + line);
            Assert.Matches("^timed ok=[0-9]+ locked=0 lost=0 ", line);
            worker.Dispose();
        }
    }

    /// <summary>
    /// kill -9 at random points of reserve calls (torture rounds with AGENTLOCKS_TORTURE=1): the store always reads
    /// afterwards, and every reservation the CLI reported granted is in both files.
    /// </summary>
    [Fact]
    public async Task Kill_nine_at_random_points_leaves_a_store_the_next_call_reads()
    {
        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "agent", "register", "--agent", "agent-a")).ExitCode);
        var random = new Random(7);
        var rounds = Processes.Torture ? 150 : 8;
        List<string> granted = [];

        // The kill points are spread over the length of one whole call as this machine runs it now, so a loaded
        // machine (where a call takes seconds) is cut at every stage too, not only before the store is touched.
        var whole = Stopwatch.StartNew();
        var first = await Processes.CliAsync(_root.Path, "reserve", "--agent", "agent-a", "--scope", "s/first", "--bead", "bd-1");
        var callMs = (int)whole.ElapsedMilliseconds;
        Assert.True(first.ExitCode == 0, first.ToString());
        granted.Add((string)JsonNode.Parse(first.Stdout)!["data"]!["reservation_id"]!);
        for (var i = 0; i < rounds; i++)
        {
            using var call = Processes.Start(Processes.Cli, ["reserve", "--agent", "agent-a", "--scope", $"s/{i}", "--bead", "bd-1", "--root", _root.Path, "--json"]);
            var output = call.StandardOutput.ReadToEndAsync();
            await Task.WhenAny(call.WaitForExitAsync(), Task.Delay(random.Next(callMs / 10, callMs * 12 / 10)));
            if (!call.HasExited)
            {
                call.Kill();
            }

            await call.WaitForExitAsync();
            if (call.ExitCode == 0 && JsonNode.Parse(await output)?["data"]?["reservation_id"] is { } id)
            {
                granted.Add((string)id!);
            }

            var status = await Processes.CliAsync(_root.Path, "status");
            Assert.True(status.ExitCode == 0, $"round {i}: {status}");
        }

        var active = await File.ReadAllTextAsync(_root.Active);
        var history = await File.ReadAllTextAsync(_root.History);
        Assert.All(granted, id => Assert.Contains(id, active, StringComparison.Ordinal));
        Assert.All(granted, id => Assert.Contains(id, history, StringComparison.Ordinal));
        Console.WriteLine($"kill -9 rounds: {rounds}, granted before the kill or the end: {granted.Count}");
    }
}
