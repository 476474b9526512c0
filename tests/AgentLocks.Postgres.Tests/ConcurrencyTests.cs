namespace AgentLocks.Postgres.Tests;

public sealed class ConcurrencyTests
{
    /// <summary>Scopes that overlap in every way the rules know: nested globs, a file, a directory, a non-path scope.</summary>
    internal static readonly string[] Scopes = ["src/**", "src/auth/**", "src/auth/login.cs", "src/api/**", "src", "docs/**", "docs/a.md", "deploy:prod"];

    [Fact]
    public async Task Thirty_two_clients_racing_for_overlapping_scopes_never_get_a_double_grant()
    {
        const int clients = 32;
        const int rounds = 15;
        await using var schema = new TestSchema();
        var options = PostgresTestServer.Options(schema.Name);
        var stores = Enumerable.Range(0, clients).Select(_ => new PostgresReservationStore(PostgresTestServer.DataSource, options)).ToList();
        var agents = Enumerable.Range(0, clients).Select(i => AgentId.Parse($"racer-{i}")).ToList();
        for (var i = 0; i < clients; i++)
        {
            await stores[i].RegisterAgentAsync(agents[i]);
        }

        // Each client also checks, while it holds a grant, that no conflicting grant is held in this process.
        var held = new List<(AgentId Agent, ScopePattern Scope, bool Shared)>();
        var seenConflicts = 0;
        var granted = 0;
        using var start = new SemaphoreSlim(0);
        var runs = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            var random = new Random(i);
            await start.WaitAsync();
            for (var round = 0; round < rounds; round++)
            {
                var shared = random.Next(4) == 0;
                var scope = ScopePattern.Parse(Scopes[random.Next(Scopes.Length)]);
                var request = new ReservationRequest(agents[i], scope, BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5))
                {
                    Mode = shared ? ReservationMode.Shared : ReservationMode.Exclusive,
                };
                var result = await stores[i].TryReserveAsync(request);
                if (!result.Succeeded)
                {
                    Assert.Equal(ErrorCode.ReservationConflict, result.Error.Code);
                    continue;
                }

                await using (result.Handle)
                {
                    Interlocked.Increment(ref granted);
                    lock (held)
                    {
                        if (held.Any(h => h.Agent != agents[i] && !(h.Shared && shared) && h.Scope.Overlaps(scope)))
                        {
                            seenConflicts++;
                        }

                        held.Add((agents[i], scope, shared));
                    }

                    await Task.Yield();
                    lock (held)
                    {
                        held.Remove((agents[i], scope, shared));
                    }
                }
            }
        })).ToList();
        start.Release(clients);
        await Task.WhenAll(runs);

        Assert.Equal(0, seenConflicts);
        var leases = await GrantLedgerCheck.ReadAsync(schema.Name);
        Assert.Equal(granted, leases.Count);
        Assert.True(granted >= clients, $"only {granted} grants: the race did not run");
        Assert.Empty(GrantLedgerCheck.DoubleGrants(leases));
        Assert.Equal(leases.Count, leases.Select(l => l.Token).Distinct().Count());
        Assert.Equal(0L, await PostgresTestServer.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".reservations WHERE state = 'active'"));
    }
}
