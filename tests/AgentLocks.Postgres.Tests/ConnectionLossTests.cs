namespace AgentLocks.Postgres.Tests;

public sealed class ConnectionLossTests
{
    private static readonly AgentId Agent = AgentId.Parse("agent-a");
    private static readonly BeadId Bead = BeadId.Parse("bd-1");

    [Fact]
    public async Task Terminating_the_stores_connection_fires_HandleLost_of_every_reservation_it_granted()
    {
        await using var schema = new TestSchema();
        await using var store = new PostgresReservationStore(PostgresTestServer.ConnectionString, PostgresTestServer.Options(schema.Name));
        await store.RegisterAgentAsync(Agent);
        await using var first = await store.ReserveAsync(new ReservationRequest(Agent, ScopePattern.Parse("src/**"), Bead));
        await using var second = await store.ReserveAsync(new ReservationRequest(Agent, ScopePattern.Parse("docs/**"), Bead));
        var lost = new[] { first, second }.Select(held =>
        {
            var signal = new TaskCompletionSource();
            held.HandleLost.Register(signal.SetResult);
            return signal.Task;
        }).ToList();
        var backend = await store.Persistence.Session.BackendPidAsync();
        Assert.False(first.HandleLost.IsCancellationRequested);

        Assert.Equal(true, await PostgresTestServer.ScalarAsync("SELECT pg_terminate_backend($1, 5000)", backend));
        await Task.WhenAll(lost).WaitAsync(TimeSpan.FromSeconds(30));

        // The leases are rows and outlive the connection; the next grant is watched on a new connection.
        Assert.Equal(2, (await store.GetStatusAsync()).Reservations.Count);
        await using var third = await store.ReserveAsync(new ReservationRequest(Agent, ScopePattern.Parse("tests/**"), Bead));
        Assert.NotEqual(backend, await store.Persistence.Session.BackendPidAsync());
        Assert.False(third.HandleLost.IsCancellationRequested);

        // A lost handle still releases its own row when disposed.
        await first.DisposeAsync();
        Assert.Equal(["docs/**", "tests/**"], (await store.GetStatusAsync()).Reservations.Select(r => r.Scope.Value).Order());
    }
}
