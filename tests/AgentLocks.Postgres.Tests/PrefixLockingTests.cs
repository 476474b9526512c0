namespace AgentLocks.Postgres.Tests;

public sealed class PrefixLockingTests
{
    [Fact]
    public async Task A_decision_in_progress_holds_up_only_the_scopes_that_overlap_its_own()
    {
        await using var schema = new TestSchema();
        await using var store = new PostgresReservationStore(PostgresTestServer.DataSource, PostgresTestServer.Options(schema.Name));
        var agent = AgentId.Parse("prefix-tester");
        await store.RegisterAgentAsync(agent);

        // Another client is deciding about src/auth/**: its transaction holds exactly the locks such a decision takes.
        var (other, transaction) = await DecisionInProgress.StartAsync(schema.Name, "src/auth/**");
        await using var otherScope = other;

        foreach (var disjoint in new[] { "src/api/**", "src/authz/**", "docs/*.md", "/repo/src/auth/**", "deploy:prod" })
        {
            var held = await store.ReserveAsync(Request(agent, disjoint)).WaitAsync(TimeSpan.FromSeconds(30));
            await held.DisposeAsync();
        }

        var overlapping = new[] { "src/**", "src", "src/auth/login.cs", "src/*/x.cs", "**" }
            .Select(scope => store.ReserveAsync(Request(agent, scope))).ToList();
        while ((long)(await PostgresTestServer.ScalarAsync("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))! < overlapping.Count)
        {
            await Task.Delay(10); // until every one of them is waiting on the server
        }

        Assert.All(overlapping, waiting => Assert.False(waiting.IsCompleted));
        await transaction.CommitAsync();
        foreach (var granted in overlapping)
        {
            await (await granted).DisposeAsync();
        }
    }

    private static ReservationRequest Request(AgentId agent, string scope)
        => new(agent, ScopePattern.Parse(scope), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5));
}
