using System.Text.Json.Nodes;
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

    /// <summary>The worker identity locks of this invocation: the files, or the PostgreSQL rows.</summary>
    public static IWorkerIdentityLocks OpenWorkerLocks(CommandContext context)
        => context.Postgres is not null
            ? context.Own(new PostgresWorkerIdentityLocks(ConnectionString(context), Options))
            : new FileWorkerIdentityLocks();

    /// <summary>The lock of <c>--worker</c>; with <c>--postgres</c>, a directory is refused with the id it probably meant.</summary>
    public static IWorkerIdentityLock OpenWorkerLock(CommandContext context)
    {
        var worker = context.Required("worker");
        try
        {
            return OpenWorkerLocks(context).ForWorker(worker);
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.InvalidArgs && context.Postgres is not null)
        {
            var name = Path.GetFileName(worker.TrimEnd('/'));
            throw CommandLine.Invalid($"With --postgres, --worker names a worker id: {e.Message}" + (WorkerId.TryParse(name, out _) ? $" Did you mean --worker {name}?" : ""));
        }
    }

    /// <summary>
    /// Takes <paramref name="workerLock"/> for another process (<c>lock acquire</c>, <c>lock exec</c>), so it must
    /// outlive this command: a lock file does by itself; a PostgreSQL lock lives with its connection, so a
    /// <see cref="PostgresLockKeeper"/> process holds it. Returns the handle and the envelope's data.
    /// </summary>
    public static async Task<(WorkerLockHandle Held, JsonObject Data)> HoldForAsync(CommandContext context, IWorkerIdentityLock workerLock, WorkerLockRequest request, CancellationToken cancellationToken)
    {
        if (context.Postgres is not null)
        {
            return await PostgresLockKeeper.StartAsync(ConnectionString(context), workerLock, request, cancellationToken).ConfigureAwait(false);
        }

        var held = await workerLock.AcquireAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            return (held, LockCommands.AcquiredJson(held, await workerLock.GetStatusAsync(cancellationToken).ConfigureAwait(false)));
        }
        catch
        {
            await held.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string ConnectionString(CommandContext context)
        => context.Postgres ?? throw new InvalidOperationException("Only commands run with --postgres open PostgreSQL stores.");

    /// <summary>A command's handles end with it, so no connection is kept to watch them.</summary>
    private static PostgresStoreOptions Options { get; } = new() { WatchConnection = false };
}
