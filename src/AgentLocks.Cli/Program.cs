using AgentLocks.Cli;

if (PostgresLockKeeper.IsKeeper(args))
{
    return await PostgresLockKeeper.RunAsync(args, Console.Out);
}

return args switch
{
    [ShellCompletion.Verb, "bash" or "zsh" or "fish" or "suggest", ..] => ShellCompletion.Run(args, CliApp.Commands, Console.Out, Console.Error),
    ["--version"] => Version(),
    _ => await CliApp.RunAsync(args, Console.Out, Console.Error, CancellationToken.None),
};

static int Version()
{
    var version = typeof(CliApp).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
    Console.WriteLine($"agentlocks {version?.Split('+')[0]}");
    return ExitCodes.Done;
}
