namespace AgentLocks.Postgres.Tests;

/// <summary>
/// What a server or role may set as its default (in <c>postgresql.conf</c>, <c>ALTER ROLE ... SET</c> or <c>ALTER
/// DATABASE ... SET</c>; here through the connection string's <c>Options</c>, which does the same for the session) must
/// not weaken a decision: it sees what was committed while it waited for its locks, and its commit is durable.
/// </summary>
public sealed class ServerDefaultsTests
{
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
        var (other, transaction) = await DecisionInProgress.StartAsync(schema.Name, "src/iso/**");
        await using var otherScope = other;

        // Both wait for the scope's lock, the first ahead of the second.
        var key = PrefixLocking.Key(new PostgresSchema(schema.Name), "src/iso/");
        var firstTry = first.TryReserveAsync(Request(agents[0]));
        await WaitingAsync(key, 1);
        var secondTry = second.TryReserveAsync(Request(agents[1]));
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

    /// <summary>
    /// A grant the client was told of must survive a crash of the server, or the scope is granted twice after it: a
    /// decision commits with <c>synchronous_commit</c> on even where the server's default is off. A trigger records the
    /// setting each write of a reservation's row runs under, inside the decision's own transaction.
    /// </summary>
    [Fact]
    public async Task Decisions_commit_durably_where_the_servers_synchronous_commit_is_off()
    {
        await using var schema = new TestSchema();
        await using var store = new PostgresReservationStore(
            PostgresTestServer.ConnectionString + ";Options=-c synchronous_commit=off", PostgresTestServer.Options(schema.Name));
        var agent = AgentId.Parse("durable-agent");
        await store.RegisterAgentAsync(agent);
        await PostgresTestServer.ScalarAsync($"CREATE TABLE \"{schema.Name}\".seen (setting text NOT NULL)");
        await PostgresTestServer.ScalarAsync($"""
            CREATE FUNCTION "{schema.Name}".record() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO "{schema.Name}".seen VALUES (current_setting('synchronous_commit')); RETURN NEW; END $$
            """);
        await PostgresTestServer.ScalarAsync(
            $"CREATE TRIGGER record AFTER INSERT OR UPDATE ON \"{schema.Name}\".reservations FOR EACH ROW EXECUTE FUNCTION \"{schema.Name}\".record()");

        // A grant, then a release in one round trip, then a grant and a release by scope, the two-round-trip way.
        await (await store.ReserveAsync(Request(agent))).DisposeAsync();
        await using (await store.ReserveAsync(Request(agent)))
        {
            await store.ReleaseAsync(agent, ScopePattern.Parse("src/iso/**"));
        }

        var settings = (string)(await PostgresTestServer.ScalarAsync($"SELECT string_agg(setting, ' ') FROM \"{schema.Name}\".seen"))!;
        Assert.Equal("on on on on", settings);
    }

    private static ReservationRequest Request(AgentId agent)
        => new(agent, ScopePattern.Parse("src/iso/**"), BeadId.Parse("bd-1"), TimeSpan.FromMinutes(5));
}
