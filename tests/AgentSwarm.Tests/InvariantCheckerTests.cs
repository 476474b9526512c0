using AgentLocks;
using AgentSwarm.Swarm;

namespace AgentSwarm.Tests;

public sealed class InvariantCheckerTests
{
    private static readonly Dictionary<int, long> NoDeaths = [];

    [Fact]
    public void Overlapping_writes_under_overlapping_exclusive_scopes_are_a_violation()
    {
        var writes = Intervals(
            Write("auth-refactorer", 100, "src/auth/login.cs", "src/auth/**", token: 1, begin: 10, end: 20),
            Write("login-fixer", 200, "src/auth/login.cs", "src/auth/login.cs", token: 2, begin: 15, end: 25));

        var violation = Assert.Single(InvariantChecker.Check(writes));
        Assert.Equal("overlap", violation.Kind);
        Assert.Contains("auth-refactorer", violation.Message, StringComparison.Ordinal);
        Assert.Contains("login-fixer", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Concurrent_writes_to_different_files_under_overlapping_scopes_are_a_violation()
    {
        // The reservation, not the file, is what is exclusive: src/auth/** and src/auth/session.cs overlap.
        var writes = Intervals(
            Write("auth-refactorer", 100, "src/auth/login.cs", "src/auth/**", token: 1, begin: 10, end: 20),
            Write("session-keeper", 200, "src/auth/session.cs", "src/auth/session.cs", token: 2, begin: 19, end: 30));

        Assert.Equal("overlap", Assert.Single(InvariantChecker.Check(writes)).Kind);
    }

    [Fact]
    public void Successive_writes_and_disjoint_scopes_are_fine()
    {
        var writes = Intervals(
            Write("auth-refactorer", 100, "src/auth/login.cs", "src/auth/**", token: 1, begin: 10, end: 20),
            Write("login-fixer", 200, "src/auth/login.cs", "src/auth/login.cs", token: 2, begin: 20, end: 30),
            Write("api-builder", 300, "src/api/users.cs", "src/api/**", token: 3, begin: 12, end: 28),
            Write("api-builder", 300, "src/api/orders.cs", "src/api/**", token: 3, begin: 13, end: 27));

        Assert.Empty(InvariantChecker.Check(writes));
    }

    [Fact]
    public void A_write_outside_the_held_scope_is_a_violation()
    {
        var writes = Intervals(Write("api-builder", 300, "src/auth/login.cs", "src/api/**", token: 3, begin: 1, end: 2));

        Assert.Equal("outside-scope", Assert.Single(InvariantChecker.Check(writes)).Kind);
    }

    [Fact]
    public void A_write_with_an_older_fencing_token_after_a_newer_one_is_a_violation()
    {
        var writes = Intervals(
            Write("login-fixer", 200, "src/auth/login.cs", "src/auth/login.cs", token: 7, begin: 10, end: 20),
            Write("auth-refactorer", 100, "src/auth/login.cs", "src/auth/**", token: 5, begin: 30, end: 40));

        Assert.Equal("fencing", Assert.Single(InvariantChecker.Check(writes)).Kind);
    }

    [Fact]
    public void A_killed_writer_ends_at_its_death_and_never_without_one()
    {
        // pid 100 began a write and was killed; pid 200 writes the same scope later.
        var events = new[]
        {
            Event("auth-refactorer", 100, EventKinds.WriteBegin, "src/auth/login.cs", "src/auth/**", token: 1, at: 10),
            Event("login-fixer", 200, EventKinds.WriteBegin, "src/auth/login.cs", "src/auth/login.cs", token: 2, at: 50),
            Event("login-fixer", 200, EventKinds.WriteEnd, "src/auth/login.cs", "src/auth/login.cs", token: 2, at: 60),
        };

        Assert.Empty(InvariantChecker.Check(InvariantChecker.Intervals(events, new Dictionary<int, long> { [100] = 40 })));
        // Without a recorded death the write never ends, so the later write overlaps it.
        Assert.Equal("overlap", Assert.Single(InvariantChecker.Check(InvariantChecker.Intervals(events, NoDeaths))).Kind);
        // Killed after the other began: the intervals overlap.
        Assert.Equal("overlap", Assert.Single(InvariantChecker.Check(InvariantChecker.Intervals(events, new Dictionary<int, long> { [100] = 55 }))).Kind);
    }

    [Fact]
    public void The_report_says_ok_only_when_the_invariant_holds()
    {
        var good = SwarmReport.From(
        [
            Event("a", 1, EventKinds.WriteBegin, "src/auth/login.cs", "src/auth/**", token: 1, at: 10),
            Event("a", 1, EventKinds.WriteEnd, "src/auth/login.cs", "src/auth/**", token: 1, at: 20),
            Event("b", 2, EventKinds.WriteBegin, "src/auth/login.cs", "src/auth/login.cs", token: 2, at: 30),
            Event("b", 2, EventKinds.WriteEnd, "src/auth/login.cs", "src/auth/login.cs", token: 2, at: 40),
        ], NoDeaths);
        var bad = SwarmReport.From(
        [
            Event("a", 1, EventKinds.WriteBegin, "src/auth/login.cs", "src/auth/**", token: 1, at: 10),
            Event("b", 2, EventKinds.WriteBegin, "src/auth/login.cs", "src/auth/login.cs", token: 2, at: 15),
            Event("a", 1, EventKinds.WriteEnd, "src/auth/login.cs", "src/auth/**", token: 1, at: 20),
            Event("b", 2, EventKinds.WriteEnd, "src/auth/login.cs", "src/auth/login.cs", token: 2, at: 40),
        ], NoDeaths);
        var empty = SwarmReport.From([], NoDeaths);

        Assert.StartsWith("invariant: OK", good.InvariantText(), StringComparison.Ordinal);
        Assert.StartsWith("invariant: VIOLATED (1)", bad.InvariantText(), StringComparison.Ordinal);
        Assert.False(empty.InvariantHolds);
    }

    [Fact]
    public void The_p99_is_the_nearest_rank()
    {
        var values = Enumerable.Range(1, 200).Select(i => (double)i).ToArray();

        Assert.Equal(198, SwarmReport.Percentile(values, 0.99));
        Assert.Equal(7, SwarmReport.Percentile([7], 0.99));
    }

    private static WriteInterval[] Intervals(params WriteInterval[] writes) => writes;

    private static WriteInterval Write(string agent, int pid, string file, string scope, long token, long begin, long end)
        => new(agent, pid, file, ScopePattern.Parse(scope), token, begin, end);

    private static SwarmEvent Event(string agent, int pid, string kind, string file, string scope, long token, long at)
        => new() { Agent = agent, Pid = pid, Kind = kind, File = file, Scope = scope, Token = token, TimeNs = at };
}
