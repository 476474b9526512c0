using AgentLocks.Cli.Commands;
using AgentLocks.Postgres;

namespace AgentLocks.Cli;

/// <summary>
/// The one place the CLI chooses its backend: the files under the root, or PostgreSQL when <c>--postgres</c>
/// (or <c>$AGENTLOCKS_POSTGRES</c>) gives a connection string. Stores opened here live until the command ends.
/// </summary>
internal static class Backends
{
    /// <summary>The reservation store of this invocation.</summary>
    public static IReservationStore OpenReservationStore(CommandContext context)
        => context.Postgres is { } connectionString
            ? context.Own(new PostgresReservationStore(connectionString, Options))
            : new FileReservationStore(context.Root);

    /// <summary>The PostgreSQL worker locks of this invocation; only for commands run with <c>--postgres</c>.</summary>
    public static PostgresWorkerIdentityLock OpenPostgresLocks(CommandContext context)
        => context.Own(new PostgresWorkerIdentityLock(
            context.Postgres ?? throw new InvalidOperationException("Only commands run with --postgres open PostgreSQL locks."),
            Options));

    /// <summary>What runs <paramref name="spec"/>: its own work, or, with <c>--postgres</c>, the PostgreSQL form of a lock command.</summary>
    public static Func<CommandContext, CancellationToken, Task<CommandResult>> RunnerFor(CommandSpec spec, CommandContext context)
        => context.Postgres is not null && PostgresLockCommands.ByName.TryGetValue(spec.JsonName, out var run) ? run : spec.Run;

    /// <summary>A command's handles end with it, so no connection is kept to watch them.</summary>
    private static PostgresStoreOptions Options { get; } = new() { WatchConnection = false };
}
