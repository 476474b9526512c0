using AgentLocks.Cli;

return args is [PostgresLockKeeper.Verb, ..]
    ? await PostgresLockKeeper.RunAsync(args, Console.Out)
    : await CliApp.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
