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
        var options = SwarmOptions.Parse(["--agents", "3", "--rounds", "4", "--lease-seconds", "2", "--postgres", "Host=db"]);

        var args = options.AgentArguments("login-fixer", "/tmp/run").ToList();
        var agent = SwarmOptions.Parse(args[1..]);

        Assert.Equal("agent", args[0]);
        Assert.Equal(("login-fixer", "/tmp/run", 4, 2, "Host=db"), (agent.Role, agent.RunDirectory, agent.Rounds, agent.LeaseSeconds, agent.Postgres));
    }
}
