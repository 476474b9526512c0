using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Extensions.Hosting.Tests;

/// <summary>What each operation records: meter measurements, spans and log events with their stable ids.</summary>
public sealed class TelemetryTests
{
    private static readonly BeadId Bead = BeadId.Parse("bb-7");

    [Fact]
    public async Task A_grant_a_conflict_and_a_release_are_counted_timed_traced_and_logged()
    {
        using var root = new TempRoot();
        await using var services = TestHost.FileStore(root.Path);
        var store = services.GetRequiredService<IReservationStore>();
        var (a, b) = (AgentId.Parse("agent-telemetry-a"), AgentId.Parse("agent-telemetry-b"));
        using var recorder = new TelemetryRecorder(services.GetRequiredService<IMeterFactory>(), a.Value);
        await store.RegisterAgentAsync(a);
        await store.RegisterAgentAsync(b);
        var scope = ScopePattern.Parse("src/api/**");
        var logs = services.GetFakeLogCollector();
        logs.Clear();

        var held = await store.ReserveAsync(new ReservationRequest(a, scope, Bead) { Mode = ReservationMode.Shared });
        Assert.Equal([1L], Held(recorder));
        var refused = await store.TryReserveAsync(new ReservationRequest(b, ScopePattern.Parse("src/api/x.cs"), Bead));
        await using var unexpected = refused.Handle; // released if the store wrongly granted it
        Assert.False(refused.Succeeded);
        await held.DisposeAsync();

        var grant = Assert.Single(recorder.Of(AgentLocksDiagnostics.Grants));
        Assert.Equal(1, grant.Value);
        Assert.Equal("{reservation}", grant.Unit);
        Assert.Equal("file", grant.Tags[AgentLocksDiagnostics.BackendTag]);
        Assert.Equal("shared", grant.Tags[AgentLocksDiagnostics.ModeTag]);
        var conflict = Assert.Single(recorder.Of(AgentLocksDiagnostics.Conflicts));
        Assert.Equal("exclusive", conflict.Tags[AgentLocksDiagnostics.ModeTag]);
        Assert.Equal([1L, -1L], Held(recorder));

        var durations = recorder.Of(AgentLocksDiagnostics.OperationDuration).Where(d => (string?)d.Tags[AgentLocksDiagnostics.OperationTag] != "register").ToList();
        Assert.All(durations, d => Assert.Equal("s", d.Unit));
        Assert.All(durations, d => Assert.InRange(d.Value, 0, 60));
        Assert.Equal(
            ["reserve:ok", "reserve:reservation_conflict", "release:ok"],
            durations.Select(d => $"{d.Tags[AgentLocksDiagnostics.OperationTag]}:{d.Tags[AgentLocksDiagnostics.OutcomeTag]}"));

        var span = Assert.Single(recorder.Spans, s => s.OperationName == "agentlocks.reserve");
        Assert.Equal("file", span.GetTagItem(AgentLocksDiagnostics.BackendTag));
        Assert.Equal("src/api/**", span.GetTagItem(AgentLocksDiagnostics.ScopeTag));
        Assert.Equal("ok", span.GetTagItem(AgentLocksDiagnostics.OutcomeTag));
        Assert.Contains(recorder.Spans, s => s.OperationName == "agentlocks.release");

        Assert.Equal([1, 2, 5], logs.GetSnapshot().Select(r => r.Id.Id));
        Assert.Equal("ReservationGranted", logs.GetSnapshot()[0].Id.Name);
        Assert.Equal("AgentLocks", logs.GetSnapshot()[0].Category);
    }

    [Fact]
    public async Task A_takeover_a_lost_handle_and_a_renewal_are_recorded()
    {
        using var root = new TempRoot();
        await using var services = TestHost.FileStore(root.Path);
        var store = services.GetRequiredService<IReservationStore>();
        var time = (FakeTimeProvider)services.GetRequiredService<TimeProvider>();
        var (a, b) = (AgentId.Parse("agent-takeover-a"), AgentId.Parse("agent-takeover-b"));
        using var recorder = new TelemetryRecorder(services.GetRequiredService<IMeterFactory>(), a.Value);
        await store.RegisterAgentAsync(a);
        await store.RegisterAgentAsync(b);
        var scope = ScopePattern.Parse("docs/**");
        var logs = services.GetFakeLogCollector();

        await using var first = await store.ReserveAsync(new ReservationRequest(a, scope, Bead, TimeSpan.FromMinutes(5)));
        await store.RenewAsync(a, scope, TimeSpan.FromMinutes(6));
        logs.Clear();

        // Past the renewed expiry the first handle's monitor finds its lease gone; then b takes the stale one over.
        time.Advance(TimeSpan.FromMinutes(7));
        await first.LastMonitorTick;
        Assert.True(first.HandleLost.IsCancellationRequested);
        await using var second = await store.ReserveAsync(new ReservationRequest(b, scope, Bead) { TakeoverStale = true });

        var takeover = Assert.Single(recorder.Of(AgentLocksDiagnostics.Takeovers));
        Assert.Equal("exclusive", takeover.Tags[AgentLocksDiagnostics.ModeTag]);
        var lost = Assert.Single(recorder.Of(AgentLocksDiagnostics.HandlesLost));
        Assert.Equal("file", lost.Tags[AgentLocksDiagnostics.BackendTag]);
        Assert.Equal(1, Held(recorder).Sum());
        Assert.Equal([7, 4, 1], logs.GetSnapshot().Select(r => r.Id.Id));
        Assert.Contains(recorder.Spans, s => s.OperationName == "agentlocks.renew" && (string?)s.GetTagItem(AgentLocksDiagnostics.OutcomeTag) == "ok");
    }

    [Fact]
    public async Task A_damaged_store_is_logged_and_its_operation_ends_with_store_corrupt()
    {
        using var root = new TempRoot();
        await using var services = TestHost.FileStore(root.Path);
        var store = services.GetRequiredService<IReservationStore>();
        var agent = AgentId.Parse("agent-damaged");
        using var recorder = new TelemetryRecorder(services.GetRequiredService<IMeterFactory>(), agent.Value);
        await store.RegisterAgentAsync(agent);
        Directory.CreateDirectory(Path.Combine(root.Path, "reservations"));
        await File.WriteAllTextAsync(Path.Combine(root.Path, "reservations", "active.json"), "{ not json");
        var logs = services.GetFakeLogCollector();

        var error = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("a/**"), Bead)));

        Assert.Equal(ErrorCode.StoreCorrupt, error.Code);
        Assert.Equal(9, logs.LatestRecord.Id.Id);
        var span = Assert.Single(recorder.Spans, s => s.OperationName == "agentlocks.reserve");
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("STORE_CORRUPT", span.GetTagItem("error.type"));
        Assert.Equal("store_corrupt", Assert.Single(recorder.Of(AgentLocksDiagnostics.OperationDuration), d => (string?)d.Tags[AgentLocksDiagnostics.OperationTag] == "reserve").Tags[AgentLocksDiagnostics.OutcomeTag]);
    }

    [Fact]
    public async Task A_store_mutex_left_by_a_dead_process_is_removed_and_logged()
    {
        using var root = new TempRoot();
        await using var services = TestHost.FileStore(root.Path);
        var store = services.GetRequiredService<IReservationStore>();
        var mutex = Path.Combine(root.Path, "reservations", ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(mutex)!);
        using (var exited = Process.Start("true")!)
        {
            await exited.WaitForExitAsync();
            await File.WriteAllTextAsync(mutex, $"{exited.Id}\n");
        }

        await store.RegisterAgentAsync(AgentId.Parse("agent-after-crash"));

        var removed = Assert.Single(services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 8);
        Assert.Equal("StaleLockRemoved", removed.Id.Name);
        Assert.Contains(mutex, removed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wait_that_runs_out_is_logged_and_its_time_recorded()
    {
        var time = new FakeTimeProvider(TestHost.Start);
        using var loggers = new FakeLoggerProvider();
        using var factory = new Microsoft.Extensions.Logging.LoggerFactory([loggers]);
        var store = new InMemoryReservationStore(new ReservationStoreOptions { TimeProvider = time, LoggerFactory = factory });
        var (a, b) = (AgentId.Parse("agent-wait-a"), AgentId.Parse("agent-wait-b"));
        await store.RegisterAgentAsync(a);
        await store.RegisterAgentAsync(b);
        using var listener = new MeterListener();
        List<(double Seconds, string? Outcome)> waits = [];
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AgentLocksDiagnostics.MeterName && instrument.Meter.Scope is null && instrument.Name == AgentLocksDiagnostics.WaitDuration)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var outcome = tags.ToArray().FirstOrDefault(t => t.Key == AgentLocksDiagnostics.OutcomeTag).Value as string;
            lock (waits)
            {
                waits.Add((value, outcome));
            }
        });
        listener.Start();
        await using var held = await store.ReserveAsync(new ReservationRequest(a, ScopePattern.Parse("w/**"), Bead));

        // The in-memory store decides synchronously: the first try has conflicted when the call returns its task.
        var waiting = store.TryReserveAsync(new ReservationRequest(b, ScopePattern.Parse("w/x"), Bead) { Wait = TimeSpan.FromMinutes(3) });
        Assert.Contains(loggers.Collector.GetSnapshot(), r => r.Id.Id == 3);
        time.Advance(TimeSpan.FromMinutes(3));
        var result = await waiting;
        await using var unexpected = result.Handle; // released if the store wrongly granted it

        Assert.Equal(ErrorCode.ReservationConflict, result.Error?.Code);
        var wait = Assert.Single(waits);
        Assert.Equal(180, wait.Seconds);
        Assert.Equal("reservation_conflict", wait.Outcome);
        Assert.Equal(2, loggers.Collector.LatestRecord.Id.Id);
    }

    [Fact]
    public async Task Without_a_container_the_process_wide_meter_is_used()
    {
        var store = new InMemoryReservationStore();
        using var listener = new MeterListener();
        long grants = 0;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AgentLocksDiagnostics.MeterName && instrument.Meter.Scope is null && instrument.Name == AgentLocksDiagnostics.Grants)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == AgentLocksDiagnostics.BackendTag && (string?)tag.Value == "memory")
                {
                    Interlocked.Add(ref grants, value);
                }
            }
        });
        listener.Start();
        var agent = AgentId.Parse("agent-plain");
        await store.RegisterAgentAsync(agent);

        await using var held = await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("x/**"), Bead));

        Assert.True(Interlocked.Read(ref grants) >= 1);
    }

    private static List<long> Held(TelemetryRecorder recorder)
        => [.. recorder.Of(AgentLocksDiagnostics.HandlesHeld).Select(m => (long)m.Value)];
}
