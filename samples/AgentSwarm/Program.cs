// AgentSwarm: a swarm of agent processes sharing one repository through AgentLocks.
// Without arguments it is the orchestrator; "agent --role NAME ..." is one agent process (it starts those itself).
using AgentSwarm.Swarm;

SwarmOptions options;
try
{
    options = SwarmOptions.Parse(args is ["agent", ..] ? args[1..] : args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(SwarmOptions.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

if (args is ["agent", ..])
{
    return await AgentSwarm.Agents.AgentProcess.RunAsync(options, stop.Token);
}

return await new Orchestrator(options, Console.Out, terminal: !Console.IsOutputRedirected).RunAsync(stop.Token);
