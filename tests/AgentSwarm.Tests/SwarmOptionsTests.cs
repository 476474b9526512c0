using AgentSwarm.Swarm;

namespace AgentSwarm.Tests;

public sealed class SwarmOptionsTests
{
    [Fact]
    public void Defaults_are_six_agents_with_a_kill()
    {
        var options = SwarmOptions.Parse([]);

        Assert.Equal(6, options.Agents);
        Assert.True(options.Kill);
        Assert.Null(options.Postgres);
    }

    [Theory]
    [InlineData("--agents", "0")]
    [InlineData("--agents", "9")]
    [InlineData("--agents", "3x")]
    [InlineData("--rounds", "-1")]
    [InlineData("--bogus", "1")]
    public void Bad_arguments_are_refused(string name, string value)
        => Assert.Throws<ArgumentException>(() => SwarmOptions.Parse([name, value]));

    [Fact]
    public void An_agent_gets_the_run_settings_it_needs()
    {
        var options = SwarmOptions.Parse(["--agents", "3", "--rounds", "4", "--lease-seconds", "2"]);

        var args = options.AgentArguments("login-fixer", "/tmp/run").ToList();
        var agent = SwarmOptions.Parse(args[1..]);

        Assert.Equal("agent", args[0]);
        Assert.Equal(("login-fixer", "/tmp/run", 4, 2, null, options.EpochMs), (agent.Role, agent.RunDirectory, agent.Rounds, agent.LeaseSeconds, agent.Postgres, agent.EpochMs));
    }

    [Fact]
    public void On_PostgreSQL_the_lease_is_a_minute_and_every_agent_shares_the_run_schema()
    {
        var options = SwarmOptions.Parse(["--postgres", "Host=db"]);
        var agent = SwarmOptions.Parse(options.AgentArguments("login-fixer", "/tmp/run").ToList()[1..]);

        Assert.Equal(60, options.LeaseSeconds);
        Assert.Equal(("Host=db", 60), (agent.Postgres, agent.LeaseSeconds));
        Assert.Equal(options.PostgresSchema, agent.PostgresSchema);
        Assert.Throws<ArgumentException>(() => SwarmOptions.Parse(["--postgres", "Host=db", "--lease-seconds", "4"]));
    }
}
