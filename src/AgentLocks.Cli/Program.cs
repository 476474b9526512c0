using AgentLocks.Cli;

return PostgresLockKeeper.IsKeeper(args)
    ? await PostgresLockKeeper.RunAsync(args, Console.Out)
    : await CliApp.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
