using System.Text.Json.Nodes;

namespace AgentLocks.FaultTests;

/// <summary>
/// Commits handed over before their syncs (<see cref="CommitPipeline"/>): the next holder decides on the staged
/// version, beadboard never sees it until it is in place, and a commit whose process dies after handing over stays.
/// The taker pauses at <c>handed-over</c> (its commit written and handed on, not yet synced or renamed) and is killed.
/// </summary>
[Collection(nameof(StoreMutexSeam))]
public sealed class CommitPipelineTests : IDisposable
{
    private static readonly AgentId AgentA = AgentId.Parse("agent-a");
    private static readonly AgentId AgentB = AgentId.Parse("agent-b");
    private readonly StoreRoot _root = new();

    public CommitPipelineTests() => QueueRelease.Kept = false; // no beadboard window: our commits are handed over too

    public void Dispose()
    {
        QueueRelease.Kept = true;
        _root.Dispose();
    }

    [Fact]
    public async Task The_next_holder_decides_on_a_handed_over_commit_and_beadboard_waits_until_it_is_in_place()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        await store.RegisterAgentAsync(AgentB);
        var taker = Processes.Start(Processes.Taker, ["reserve", "crash-at", "handed-over", _root.Path, "agent-a", "two", "bd-2"]);
        await HandedOverAsync(taker);
        using var beadboard = Processes.Start(Processes.ForeignWriter, ["reserve", _root.Path, "agent-c", "theirs", "bb-1", "60"]);
        try
        {
            // Decided on the staged version: agent-b meets agent-a's "two", which is not yet in active.json.
            var refused = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReserveAsync(new ReservationRequest(AgentB, ScopePattern.Parse("two"), BeadId.Parse("bd-9"))));
            Assert.Equal(ErrorCode.ReservationConflict, refused.Code);
            LeftHeld.OnPurpose(await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("three"), BeadId.Parse("bd-3"))));

            // Ours is in place (it carries the taker's decision); the taker is still in the pipeline, so .lock stays.
            Assert.Equal(["three", "two"], ScopesInActiveFile());
            Assert.True(File.Exists(_root.Lock));
            Assert.False(beadboard.HasExited);
        }
        finally
        {
            taker.Kill();
            await taker.WaitForExitAsync();
            taker.Dispose();
        }

        // The next AgentLocks call finds nobody else in the pipeline and removes .lock; beadboard then reads what is in place.
        await store.GetStatusAsync();
        Assert.False(File.Exists(_root.Lock));
        await beadboard.WaitForExitAsync().WaitAsync(Processes.HangBound);
        Assert.Equal(0, beadboard.ExitCode);
        Assert.Equal(["theirs", "three", "two"], ScopesInActiveFile());
        Assert.Equal(["theirs", "three", "two"], (await store.GetStatusAsync()).Reservations.Select(r => r.Scope.Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_commit_whose_process_dies_after_handing_over_is_put_in_place_by_the_next_call()
    {
        var store = await StoreWithHistoryAsync();
        await KillAfterHandingOverAsync();

        Assert.Empty(ScopesInActiveFile());
        var temporary = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(_root.Active)!, "active.json.tmp-*"));

        // The next call reads the staged version (a joiner may already have decided on it), so it must stay: it is
        // synced and renamed into place as the pipeline ends, not lost with the process that wrote it.
        Assert.Equal(["two"], (await store.GetStatusAsync()).Reservations.Select(r => r.Scope.Value));
        Assert.Equal(["two"], ScopesInActiveFile());
        Assert.False(File.Exists(temporary));
        Assert.False(File.Exists(_root.Lock));
        Assert.Equal(["two"], (await new FileReservationStore(_root.Path).GetStatusAsync()).Reservations.Select(r => r.Scope.Value));
        // The history holds the taker's line: active.json names it, so no later call cuts it away.
        Assert.Contains(File.ReadLines(_root.History), l => l.Contains("\"two\"", StringComparison.Ordinal));
    }

    /// <summary>
    /// A commit that finds a newer version in place (decided on top of it) renames nothing and removes its temporary
    /// file before it leaves the pipeline: once the last is out, beadboard's window watches the directory, and a change
    /// then is taken for beadboard's (which halves the store's pace for ten seconds).
    /// </summary>
    [Fact]
    public async Task A_commit_overtaken_by_a_newer_version_removes_its_temporary_file_before_it_leaves()
    {
        var first = new FileReservationStore(_root.Path);
        var second = new FileReservationStore(_root.Path);
        await first.RegisterAgentAsync(AgentA);
        var isFirst = new AsyncLocal<bool>();
        var handedOver = new TaskCompletionSource();
        var resume = new TaskCompletionSource();
        var leftBeside = new TaskCompletionSource<string[]>();
        FileReservationPersistence.FaultPoint = (point, directory) =>
        {
            if (isFirst.Value && point == "handed-over")
            {
                handedOver.SetResult();
                resume.Task.Wait(Processes.HangBound); // the first commit waits to sync until the second is in place
            }
            else if (isFirst.Value && point == "directory-unsynced")
            {
                leftBeside.SetResult(Directory.GetFiles(directory, "active.json.tmp-*"));
            }
        };
        try
        {
            var one = Task.Run(async () =>
            {
                isFirst.Value = true;
                LeftHeld.OnPurpose(await first.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("one"), BeadId.Parse("bd-1"))));
            });
            await handedOver.Task.WaitAsync(Processes.HangBound);
            LeftHeld.OnPurpose(await second.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("two"), BeadId.Parse("bd-2"))));
            resume.SetResult();
            await one.WaitAsync(Processes.HangBound);
        }
        finally
        {
            FileReservationPersistence.FaultPoint = null;
        }

        Assert.Empty(await leftBeside.Task);
        Assert.Equal(["one", "two"], ScopesInActiveFile());
        Assert.False(File.Exists(_root.Lock));
    }

    /// <summary>
    /// A staged version replaced by a FIFO (or anything but a regular file) is never read or opened blocking: nobody
    /// joins on it, the pipeline ends without it, and its commit, never reported, is cut away as one cut off.
    /// </summary>
    [Fact]
    public async Task A_staged_version_replaced_by_a_fifo_is_never_read()
    {
        var store = await StoreWithHistoryAsync();
        await KillAfterHandingOverAsync();

        var staged = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(_root.Active)!, "active.json.tmp-*"));
        File.Delete(staged);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", staged))
        {
            await mkfifo.WaitForExitAsync();
        }

        Assert.Empty((await store.GetStatusAsync().WaitAsync(Processes.HangBound)).Reservations);
        Assert.DoesNotContain(File.ReadLines(_root.History), l => l.Contains("\"two\"", StringComparison.Ordinal));
        Assert.False(File.Exists(_root.Lock));
        Assert.Contains(staged, Directory.GetFileSystemEntries(Path.GetDirectoryName(staged)!)); // left as it is
    }

    /// <summary>
    /// doctor finds the <c>.lock</c> of a pipeline whose every process died; <c>--fix</c> puts the commit staged in it in
    /// place (what a status read meanwhile stays true) before it looks for leftover temporary files.
    /// </summary>
    [Fact]
    public async Task Doctor_fix_puts_in_place_a_commit_whose_process_died_after_handing_over()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        await KillAfterHandingOverAsync();

        var report = await Processes.CliAsync(_root.Path, "doctor");
        Assert.Contains("orphaned-mutex", Kinds(report));
        Assert.True(File.Exists(_root.Lock), "doctor without --fix changes nothing");
        Assert.Empty(ScopesInActiveFile());

        var fixedReport = await Processes.CliAsync(_root.Path, "doctor", "--fix");
        Assert.Contains("orphaned-mutex", Kinds(fixedReport));
        Assert.DoesNotContain("leftover-temp-file", Kinds(fixedReport)); // renamed into place, not removed
        Assert.Equal(["two"], ScopesInActiveFile());
        Assert.False(File.Exists(_root.Lock));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_root.Active)!, "active.json.tmp-*"));
        Assert.Equal(["two"], (await store.GetStatusAsync()).Reservations.Select(r => r.Scope.Value));
    }

    /// <summary>
    /// kill -9 of processes whose commits are in the pipeline, several at work at once on disjoint scopes (more rounds
    /// with AGENTLOCKS_TORTURE=1; their beadboard windows on): every grant and release a process was told of stays, a
    /// process's last call that it was not told of is the only other change, and the store reads afterwards.
    /// </summary>
    [Fact]
    public async Task Kill_nine_of_processes_in_the_pipeline_loses_nothing_they_were_told()
    {
        const int AtWork = 4;
        var kills = Processes.Torture ? 120 : 12;
        var store = new FileReservationStore(_root.Path);
        for (var i = 0; i < kills + AtWork; i++)
        {
            await store.RegisterAgentAsync(AgentId.Parse($"worker-{i}"));
        }

        var random = new Random(11);
        List<Worker> all = [];
        List<Worker> working = [];
        Worker Start()
        {
            var worker = new Worker(Processes.Start(Processes.Taker, ["reserve", "grants", _root.Path, $"worker-{all.Count}", $"w{all.Count}", "bd-1"]), $"w{all.Count}");
            all.Add(worker);
            return worker;
        }

        for (var i = 0; i < AtWork; i++)
        {
            working.Add(Start());
        }

        for (var k = 0; k < kills; k++)
        {
            var victim = working[random.Next(working.Count)];
            await victim.AfterLinesAsync(random.Next(1, 8)); // it is in the middle of its next call now
            await victim.KillAsync();
            working[working.IndexOf(victim)] = Start();
        }

        foreach (var worker in working)
        {
            await worker.KillAsync();
        }

        var active = (await new FileReservationStore(_root.Path).GetStatusAsync()).Reservations.Select(r => r.Scope.Value).ToHashSet();
        Assert.False(File.Exists(_root.Lock));
        foreach (var worker in all)
        {
            var granted = worker.Told("granted");
            var released = worker.Told("released");
            var releasing = worker.ReleasingWhenKilled();
            Assert.All(granted.Except(released).Where(s => s != releasing), scope => Assert.Contains(scope, active));
            Assert.All(released, scope => Assert.DoesNotContain(scope, active));
            Assert.True(active.Count(s => s.StartsWith(worker.Prefix + "/", StringComparison.Ordinal) && !granted.Contains(s)) <= 1, worker.Prefix);
        }

        Console.WriteLine($"pipeline kill -9: {kills} kills, {all.Sum(w => w.Told("granted").Count)} grants told");
    }

    /// <summary>A store whose agent-a has reserved and released "one", so active.json names the history's length.</summary>
    private async Task<FileReservationStore> StoreWithHistoryAsync()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentA);
        await (await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("one"), BeadId.Parse("bd-1")))).DisposeAsync();
        return store;
    }

    /// <summary>Starts a taker that reserves "two" for agent-a, waits until it has handed its commit over, and kills it there.</summary>
    private async Task KillAfterHandingOverAsync()
    {
        using var taker = Processes.Start(Processes.Taker, ["reserve", "crash-at", "handed-over", _root.Path, "agent-a", "two", "bd-2"]);
        await HandedOverAsync(taker);
        taker.Kill();
        await taker.WaitForExitAsync();
    }

    /// <summary>Waits for the taker to pause after handing its commit over: active.json lacks it, and .lock stays.</summary>
    private async Task HandedOverAsync(System.Diagnostics.Process taker)
    {
        Assert.Equal("paused", await taker.ReadLineAsync());
        Assert.DoesNotContain("two", ScopesInActiveFile());
        Assert.True(File.Exists(_root.Lock));
    }

    /// <summary>A taker in <c>grants</c> mode and every line it printed, read as they come (a kill loses none already written).</summary>
    private sealed class Worker
    {
        private readonly System.Diagnostics.Process _process;
        private readonly List<string> _lines = [];
        private readonly System.Threading.Channels.Channel<string> _printed = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private readonly Task _reading;

        public Worker(System.Diagnostics.Process process, string prefix)
        {
            (_process, Prefix) = (process, prefix);
            _reading = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (_lines)
                    {
                        _lines.Add(line);
                    }

                    _printed.Writer.TryWrite(line);
                }
            });
        }

        public string Prefix { get; }

        public async Task AfterLinesAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await _printed.Reader.ReadAsync().AsTask().WaitAsync(Processes.HangBound);
            }
        }

        public async Task KillAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            await _reading;
            _process.Dispose();
        }

        /// <summary>The scope whose release may have been the call that the kill cut off (after granting an even one, the one before).</summary>
        public string? ReleasingWhenKilled()
        {
            lock (_lines)
            {
                return _lines.Count > 0 && _lines[^1].StartsWith("granted ", StringComparison.Ordinal)
                    && int.Parse(_lines[^1][(_lines[^1].LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture) is var last and > 0 && last % 2 == 0
                    ? $"{Prefix}/{last - 1}"
                    : null;
            }
        }

        /// <summary>The scopes of the lines that start with <paramref name="what"/>.</summary>
        public HashSet<string> Told(string what)
        {
            lock (_lines)
            {
                return [.. _lines.Where(l => l.StartsWith(what + " ", StringComparison.Ordinal)).Select(l => l[(what.Length + 1)..])];
            }
        }
    }

    private static List<string> Kinds(Run doctor)
        => [.. JsonNode.Parse(doctor.Stdout)!["data"]!["findings"]!.AsArray().Select(f => f!["kind"]!.GetValue<string>())];

    private List<string> ScopesInActiveFile()
        => File.Exists(_root.Active)
            ? [.. JsonNode.Parse(File.ReadAllText(_root.Active))!["reservations"]!.AsArray().Select(r => Path.GetFileName(r!["scope"]!.GetValue<string>())).Order(StringComparer.Ordinal)]
            : [];
}
