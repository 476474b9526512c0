using System.Collections.Concurrent;

namespace AgentLocks.Postgres.Tests;

/// <summary>Tests that restart the server run alone, after the others.</summary>
[CollectionDefinition(nameof(ServerRestart), DisableParallelization = true)]
public sealed class ServerRestart;

[Collection(nameof(ServerRestart))]
public sealed class ServerRestartTests
{
    [Fact]
    public async Task A_crash_restart_mid_run_loses_no_reservation_and_grants_nothing_twice()
    {
        const int clients = 8;
        const int grantsBeforeRestart = 24;
        const int grantsAfterRestartEach = 3;
        await using var schema = new TestSchema();
        var options = PostgresTestServer.Options(schema.Name);

        // Each client its own store and pool, as separate processes would have.
        var stores = Enumerable.Range(0, clients).Select(_ => new PostgresReservationStore(PostgresTestServer.ConnectionString, options)).ToList();
        var agents = Enumerable.Range(0, clients).Select(i => AgentId.Parse($"restarter-{i}")).ToList();
        var bead = BeadId.Parse("bd-1");
        var kept = new List<ReservationHandle>();
        try
        {
            for (var i = 0; i < clients; i++)
            {
                await stores[i].RegisterAgentAsync(agents[i]);
                kept.Add(await stores[i].ReserveAsync(new ReservationRequest(agents[i], ScopePattern.Parse($"kept/{i}/**"), bead)));
            }

            var keptLost = kept.Select(held => held.HandleLost.WhenCancelled()).ToList();
            var told = new ConcurrentBag<string>();
            var released = new ConcurrentBag<string>();
            var releaseFailed = new ConcurrentBag<string>();
            var granted = 0;
            var enoughBefore = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var runs = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
            {
                var random = new Random(i);
                var after = 0;
                while (after < grantsAfterRestartEach)
                {
                    var scope = ScopePattern.Parse(ConcurrencyTests.Scopes[random.Next(ConcurrencyTests.Scopes.Length)]);
                    var wasRestarted = restarted.Task.IsCompleted;
                    ReserveResult result;
                    try
                    {
                        result = await stores[i].TryReserveAsync(new ReservationRequest(agents[i], scope, bead, TimeSpan.FromMinutes(5)));
                    }
                    catch (AgentLocksException e) when (e.Code == ErrorCode.InternalError)
                    {
                        // The server went away under this call: refused, or granted with the answer lost; the ledger
                        // judges. Try again once it is back.
                        await restarted.Task;
                        continue;
                    }

                    if (!result.Succeeded)
                    {
                        Assert.Equal(ErrorCode.ReservationConflict, result.Error.Code);
                        continue;
                    }

                    var id = result.Handle.Reservation.Id.Value;
                    told.Add(id);
                    if (Interlocked.Increment(ref granted) == grantsBeforeRestart)
                    {
                        enoughBefore.SetResult();
                    }

                    after += wasRestarted ? 1 : 0;
                    try
                    {
                        await result.Handle.DisposeAsync();
                        released.Add(id);
                    }
                    catch (AgentLocksException e) when (e.Code == ErrorCode.InternalError)
                    {
                        releaseFailed.Add(id);
                    }
                }
            })).ToList();

            await enoughBefore.Task.WaitAsync(TimeSpan.FromMinutes(2));
            await PostgresTestServer.RestartAsync();
            restarted.SetResult();
            await Task.WhenAll(runs).WaitAsync(TimeSpan.FromMinutes(3));

            // The restart cut every store's watched connection: each kept handle reports it.
            await Task.WhenAll(keptLost).WaitAsync(TimeSpan.FromSeconds(30));

            // Judged from the server's own rows, which also hold grants whose answer never reached a client.
            var leases = await GrantLedgerCheck.ReadAsync(schema.Name);
            Assert.Empty(GrantLedgerCheck.DoubleGrants(leases));
            Assert.Equal(leases.Count, leases.Select(l => l.Token).Distinct().Count());
            var rows = leases.ToDictionary(l => l.Id);
            Assert.All(told, id => Assert.True(rows.ContainsKey(id), $"granted {id} is gone"));
            Assert.All(released, id => Assert.NotNull(rows[id].To));
            Assert.All(kept, held => Assert.Null(rows[held.Reservation.Id.Value].To));
            var stillActive = leases.Where(l => l.To is null).Select(l => l.Id).Except(kept.Select(k => k.Reservation.Id.Value));
            Assert.All(stillActive, id => Assert.True(releaseFailed.Contains(id) || !told.Contains(id), $"{id} was released, yet is active"));
        }
        finally
        {
            // Kept leases outlived the restart: their owners can still release them.
            foreach (var held in kept)
            {
                await held.DisposeAsync();
            }
        }

        Assert.Equal(0L, await PostgresTestServer.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".reservations WHERE state = 'active' AND scope LIKE 'kept/%'"));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
    }
}
