using System.Diagnostics;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// The server stops answering without closing anything (a cut cable, a dead machine): a <see cref="BlackHoleProxy"/>
/// between the client and the server goes silent. Nothing reaches either end, so only the heartbeat's own deadline
/// can notice.
/// </summary>
public sealed class SilentNetworkTests
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);

    /// <summary>Only a guard against a hang; the bounds asserted are the documented ones.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>Room for a loaded machine's timers; far below Npgsql's 30-second command timeout.</summary>
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(5);

    private static readonly AgentId Agent = AgentId.Parse("agent-a");
    private static readonly AgentId Other = AgentId.Parse("agent-b");
    private static readonly BeadId Bead = BeadId.Parse("bd-1");
    private static readonly WorkerId Worker = WorkerId.Parse("polecat-1");

    [Fact]
    public async Task A_silent_network_fires_HandleLost_of_a_reservation_within_two_heartbeats_and_the_lease_stays_until_it_runs_out()
    {
        await using var schema = new TestSchema();
        await using var proxy = new BlackHoleProxy(PostgresTestServer.ConnectionString);
        var options = PostgresTestServer.Options(schema.Name, heartbeat: Heartbeat);
        await using var store = new PostgresReservationStore(proxy.ConnectionString, options);
        await store.RegisterAgentAsync(Agent);
        var request = new ReservationRequest(Agent, ScopePattern.Parse("src/**"), Bead) { Ttl = TimeSpan.FromMinutes(5) };
        await using var held = await store.ReserveAsync(request);
        var lost = held.HandleLost.WhenCancelled();
        await store.Persistence.Session.BackendPidAsync().WaitAsync(HangGuard);
        await store.GetStatusAsync(); // a second connection, now idle in the pool, since the watch holds the first

        var clock = await GoSilentAfterAHeartbeatAsync(proxy, held);
        await lost.WaitAsync(HangGuard);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, (2 * Heartbeat) + Tolerance);
        Assert.True(proxy.Swallowed.IsCompleted, "HandleLost must come from the unanswered heartbeat.");

        // The lease is a row and outlives the connection: a client that reaches the server still meets it, until its
        // TTL runs out on the server's clock; the silent holder cannot renew it, so then it can be taken over.
        await using var direct = new PostgresReservationStore(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        await direct.RegisterAgentAsync(Other);
        var taking = request with { Agent = Other, TakeoverStale = true };
        var refused = await Assert.ThrowsAsync<AgentLocksException>(() => direct.ReserveAsync(taking));
        Assert.Equal(ErrorCode.ReservationConflict, refused.Code);
        direct.Persistence.Clock.Offset = request.Ttl!.Value + TimeSpan.FromSeconds(1);
        await using var next = await direct.ReserveAsync(taking);
        Assert.Equal(Other, next.Reservation.AgentId);

        // When the network comes back, the store works at once: it does not reuse a connection that went silent.
        proxy.Heal();
        var healed = Stopwatch.StartNew();
        await using var after = await store.ReserveAsync(request with { Scope = ScopePattern.Parse("docs/**") }).WaitAsync(HangGuard);
        Assert.InRange(healed.Elapsed, TimeSpan.Zero, Tolerance);
        await store.Persistence.Session.BackendPidAsync().WaitAsync(HangGuard);
        Assert.False(after.HandleLost.IsCancellationRequested);

        // The silent holder's late release does not touch the lease that replaced its own.
        await held.DisposeAsync();
        var src = Assert.Single((await direct.GetStatusAsync()).Reservations, r => r.Scope == request.Scope);
        Assert.Equal(next.Reservation.Id, src.Id);
    }

    [Fact]
    public async Task A_silent_network_fires_HandleLost_of_a_worker_lock_within_two_heartbeats_and_the_server_frees_it_within_six()
    {
        await using var schema = new TestSchema();
        await using var proxy = new BlackHoleProxy(PostgresTestServer.ConnectionString);
        await using var locks = new PostgresWorkerIdentityLocks(proxy.ConnectionString, PostgresTestServer.Options(schema.Name, heartbeat: Heartbeat));
        await using var direct = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        await using var held = await locks.ForWorker(Worker).AcquireAsync();
        var lost = held.HandleLost.WhenCancelled();

        var clock = await GoSilentAfterAHeartbeatAsync(proxy, held);
        await lost.WaitAsync(HangGuard);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, (2 * Heartbeat) + Tolerance);
        Assert.True(proxy.Swallowed.IsCompleted, "HandleLost must come from the unanswered heartbeat.");

        // The lock lives in the holder's server session, which the server keeps until it has been idle for six
        // heartbeats (idle_session_timeout); while it surely has not, nobody else gets the worker.
        var early = await direct.ForWorker(Worker).TryAcquireAsync();
        if (clock.Elapsed < 5 * Heartbeat)
        {
            Assert.Null(early);
        }

        await proxy.ServerHungUp.WaitAsync(HangGuard);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, (6 * Heartbeat) + Tolerance);
        await using var next = early ?? await direct.ForWorker(Worker).AcquireAsync();

        // The lost handle's late release neither hangs on the dead connection nor touches the next holder.
        await held.DisposeAsync().AsTask().WaitAsync(HangGuard);
        var status = await direct.ForWorker(Worker).GetStatusAsync();
        Assert.Equal(WorkerLockState.Locked, status.State);
        Assert.Equal(next.Info.BackendPid, status.Holder!.BackendPid);
    }

    /// <summary>
    /// Waits until a heartbeat's answer went through the proxy (so the link is known good and the watch is running),
    /// checks that it fired nothing, then cuts the link before the next heartbeat; returns a clock started at the cut.
    /// </summary>
    private static async Task<Stopwatch> GoSilentAfterAHeartbeatAsync(BlackHoleProxy proxy, ILockHandle held)
    {
        await proxy.NextReply.WaitAsync(HangGuard);
        await proxy.NextReply.WaitAsync(HangGuard);
        Assert.False(held.HandleLost.IsCancellationRequested, "A healthy link must not fire HandleLost.");
        proxy.GoSilent();
        return Stopwatch.StartNew();
    }
}
