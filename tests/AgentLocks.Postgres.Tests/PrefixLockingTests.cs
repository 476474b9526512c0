using Npgsql;

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
        await using var other = new NpgsqlConnection(PostgresTestServer.ConnectionString);
        await other.OpenAsync();
        var transaction = await other.BeginTransactionAsync();
        await using (var locks = new NpgsqlBatch(other, transaction))
        {
            locks.BatchCommands.Add(PrefixLocking.Lock(new PostgresSchema(schema.Name), LedgerFocus.Reserving([ScopePattern.Parse("src/auth/**")]))!);
            await locks.ExecuteNonQueryAsync();
        }

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

    /// <summary>
    /// A decision reads after its locks are granted, and must see what was committed while it waited for them: only
    /// READ COMMITTED gives that (a snapshot per statement). A server or role whose default isolation is stricter must
    /// not change it: under REPEATABLE READ the read would use the snapshot taken when the lock statement began, before
    /// the wait, and miss the grant of the decision it waited for.
    /// </summary>
    [Theory]
    [InlineData("repeatable\\ read")]
    [InlineData("serializable")]
    public async Task Two_decisions_that_waited_for_the_same_lock_see_each_other_whatever_the_default_isolation(string isolation)
    {
        await using var schema = new TestSchema();
        var connectionString = PostgresTestServer.ConnectionString + $";Options=-c default_transaction_isolation={isolation}";
        await using var first = new PostgresReservationStore(connectionString, PostgresTestServer.Options(schema.Name));
        await using var second = new PostgresReservationStore(connectionString, PostgresTestServer.Options(schema.Name));
        AgentId[] agents = [AgentId.Parse("first-agent"), AgentId.Parse("second-agent")];
        await first.RegisterAgentAsync(agents[0]);
        await second.RegisterAgentAsync(agents[1]);

        // Another client is deciding about src/iso/**: its transaction holds exactly the locks such a decision takes.
        await using var other = new NpgsqlConnection(PostgresTestServer.ConnectionString);
        await other.OpenAsync();
        var transaction = await other.BeginTransactionAsync();
        await using (var locks = new NpgsqlBatch(other, transaction))
        {
            locks.BatchCommands.Add(PrefixLocking.Lock(new PostgresSchema(schema.Name), LedgerFocus.Reserving([ScopePattern.Parse("src/iso/**")]))!);
            await locks.ExecuteNonQueryAsync();
        }

        // Both wait for the scope's lock, the first ahead of the second.
        var key = PrefixLocking.Key(new PostgresSchema(schema.Name), "src/iso/");
        var firstTry = first.TryReserveAsync(Request(agents[0], "src/iso/**"));
        await WaitingAsync(key, 1);
        var secondTry = second.TryReserveAsync(Request(agents[1], "src/iso/**"));
        await WaitingAsync(key, 2);
        await transaction.CommitAsync();

        var results = await Task.WhenAll(firstTry, secondTry).WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var result in results)
        {
            if (result.Succeeded)
            {
                await result.Handle.DisposeAsync();
            }
        }

        Assert.True(results[0].Succeeded, results[0].Error?.Message);
        Assert.Equal(ErrorCode.ReservationConflict, results[1].Error?.Code);
    }

    /// <summary>Until <paramref name="count"/> sessions wait for the advisory lock <paramref name="key"/>.</summary>
    private static async Task WaitingAsync(long key, int count)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        while (await PostgresTestServer.AdvisoryLocksAsync(key, waiting: true) < count)
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"Fewer than {count} decisions waited for the lock.");
            await Task.Delay(TimeSpan.FromMilliseconds(10)); // the server tells nobody that a session began to wait: pg_locks is looked at again
        }
    }

    private static ReservationRequest Request(AgentId agent, string scope)
        => new(agent, ScopePattern.Parse(scope), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5));
}
