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
        => OpenReservationStore(context, Repository(context, Environment.CurrentDirectory));

    /// <summary>The reservation store of this invocation, comparing scopes under <paramref name="repository"/>.</summary>
    public static IReservationStore OpenReservationStore(CommandContext context, RepositoryRoot repository)
    {
        return context.Postgres is not null
            ? context.Own(new PostgresReservationStore(ConnectionString(context), Options with { Repository = repository }))
            : new FileReservationStore(context.Root, new ReservationStoreOptions { Repository = repository });
    }

    /// <summary>
    /// The repository scopes are relative to: <c>--repo</c>, else <c>$AGENTLOCKS_REPO</c>, else the git repository of
    /// <paramref name="workingDirectory"/> (with all its worktrees, so agents in any worktree agree), else none.
    /// git is asked only once an absolute scope or path needs it.
    /// </summary>
    public static RepositoryRoot Repository(CommandContext context, string workingDirectory)
    {
        var given = context.Optional("repo") ?? (Environment.GetEnvironmentVariable("AGENTLOCKS_REPO") is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        if (given is null)
        {
            return RepositoryRoot.DiscoverOnUse(workingDirectory, null);
        }

        var directory = Path.GetFullPath(given);
        return Directory.Exists(directory)
            ? RepositoryRoot.DiscoverOnUse(directory, directory)
            : throw CommandLine.Invalid($"--repo: the directory '{directory}' does not exist.");
    }

    /// <summary>The PostgreSQL worker locks of this invocation; only for commands run with <c>--postgres</c>.</summary>
    public static PostgresWorkerIdentityLock OpenPostgresLocks(CommandContext context)
        => context.Own(new PostgresWorkerIdentityLock(ConnectionString(context), Options));

    /// <summary>What runs <paramref name="spec"/>: its own work, or, with <c>--postgres</c>, the PostgreSQL form of a lock command.</summary>
    public static Func<CommandContext, CancellationToken, Task<CommandResult>> RunnerFor(CommandSpec spec, CommandContext context)
        => context.Postgres is not null && PostgresForms.TryGetValue(spec.JsonName, out var run) ? run : spec.Run;

    /// <summary>The commands whose work differs on PostgreSQL, by JSON name; the rest only open <see cref="OpenReservationStore"/>.</summary>
    private static Dictionary<string, Func<CommandContext, CancellationToken, Task<CommandResult>>> PostgresForms { get; } =
        new(PostgresLockCommands.ByName, StringComparer.Ordinal);

    private static string ConnectionString(CommandContext context)
        => context.Postgres ?? throw new InvalidOperationException("Only commands run with --postgres open PostgreSQL stores.");

    /// <summary>A command's handles end with it, so no connection is kept to watch them.</summary>
    private static PostgresStoreOptions Options { get; } = new() { WatchConnection = false };
}
