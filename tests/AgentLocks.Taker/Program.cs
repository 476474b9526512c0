// The taker's commands are added by the issues that need them (identity locks, reservations).
Console.Error.WriteLine("usage: AgentLocks.Taker <command> ...");
return 2;
