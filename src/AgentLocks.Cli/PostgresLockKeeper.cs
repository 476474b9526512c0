using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentLocks.Cli.Commands;
using AgentLocks.Postgres;

namespace AgentLocks.Cli;

/// <summary>
/// <c>lock acquire --postgres</c> takes a lock for another process (a shell, an agent), but a PostgreSQL lock lives
/// only as long as the connection that took it, and this command exits at once. So it starts a keeper: this same
/// program, in the background, which takes the lock on its own connection, answers with one line, and then holds the
/// connection until the holder process exits (checked every second, start time included, so a reused PID does not
/// keep it) or the lock is lost (<c>lock release</c> ends the keeper's server session). Its standard streams are
/// pipes to the starting command alone, so a caller reading that command's output, as <c>$(...)</c> does, is never
/// kept waiting. The starting command gets a <see cref="WorkerLockHandle"/> like any other: disposing it releases
/// the lock held for the holder (<see cref="IWorkerIdentityLock.ReleaseAsync"/>), which ends the keeper.
/// </summary>
internal static class PostgresLockKeeper
{
    /// <summary>The first argument that makes the program a keeper; not a command of cli.md.</summary>
    public const string Verb = "__postgres-lock-keeper";

    /// <summary>Set only by <see cref="StartAsync"/>: without it the verb is an unknown command, so it is not reached by accident.</summary>
    private const string Marker = "AGENTLOCKS_LOCK_KEEPER";

    private static readonly TimeSpan HolderCheck = TimeSpan.FromSeconds(1);

    /// <summary>Starts a keeper taking <paramref name="workerLock"/> for the request's holder, and returns a handle on it and its answer (with <c>keeper_pid</c>).</summary>
    public static async Task<(WorkerLockHandle Held, JsonObject Data)> StartAsync(string connectionString, IWorkerIdentityLock workerLock, WorkerLockRequest request, CancellationToken cancellationToken)
    {
        var holderPid = request.HolderPid ?? Environment.ProcessId;
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            // Run as "dotnet AgentLocks.Cli.dll" (tests, a framework-dependent build): the keeper is run the same way.
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AgentLocks.Cli.dll"));
        }

        foreach (var arg in new[] { Verb, workerLock.Worker, holderPid.ToString(CultureInfo.InvariantCulture), request.Session?.Value ?? "" })
        {
            start.ArgumentList.Add(arg);
        }

        // In the environment, not the arguments: ps shows arguments to every user, passwords included.
        start.Environment["AGENTLOCKS_POSTGRES"] = connectionString;
        start.Environment[Marker] = Verb;
        using var keeper = Process.Start(start)!;
        keeper.StandardInput.Close();
        var line = await keeper.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line is null)
        {
            var error = await keeper.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            throw new AgentLocksException(ErrorCode.InternalError, $"The lock keeper exited without an answer: {error.Trim()}");
        }

        var answer = JsonNode.Parse(line)!.AsObject();
        if (answer["error"] is JsonObject failed)
        {
            var code = failed["code"]!.GetValue<string>();
            throw new AgentLocksException(Enum.GetValues<ErrorCode>().First(c => c.ToWireName() == code), failed["message"]!.GetValue<string>());
        }

        var data = answer["data"]!.DeepClone().AsObject();
        data["keeper_pid"] = keeper.Id;
        var status = await workerLock.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        return (new KeptHandle(workerLock, status.Holder ?? throw new AgentLocksException(ErrorCode.NotLocked, $"The keeper of {workerLock.Worker} lost its lock at once.")), data);
    }

    /// <summary>True when this invocation was started by <see cref="StartAsync"/>: the verb, its three arguments and the marker.</summary>
    public static bool IsKeeper(IReadOnlyList<string> args)
        => args is [Verb, _, _, _] && Environment.GetEnvironmentVariable(Marker) == Verb;

    /// <summary>The keeper itself: <c>Verb WORKER HOLDER_PID SESSION</c>, the connection string in <c>$AGENTLOCKS_POSTGRES</c>. Every failure is one JSON line, never a stack trace.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter answer)
    {
        try
        {
            return await KeepAsync(args, answer).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var error = e as AgentLocksException ?? new AgentLocksException(ErrorCode.InternalError, $"{e.GetType().Name}: {e.Message}");
            var failed = new JsonObject { ["error"] = new JsonObject { ["code"] = error.Code.ToWireName(), ["message"] = error.Message } };
            await answer.WriteLineAsync(failed.ToJsonString()).ConfigureAwait(false);
            return ExitCodes.For(error.Code);
        }
    }

    private static async Task<int> KeepAsync(IReadOnlyList<string> args, TextWriter answer)
    {
        var worker = WorkerId.TryParse(args[1], out var parsed) ? parsed : throw CommandLine.Invalid($"Not a worker id: '{args[1]}'.");
        var holderPid = int.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : throw CommandLine.Invalid($"Not a process id: '{args[2]}'.");
        SessionId? session = args[3].Length == 0 ? null : SessionId.TryParse(args[3], out var id) ? id : throw CommandLine.Invalid($"Not a session id: '{args[3]}'.");
        await using var locks = new PostgresWorkerIdentityLocks(Environment.GetEnvironmentVariable("AGENTLOCKS_POSTGRES") ?? throw CommandLine.Invalid("$AGENTLOCKS_POSTGRES is not set."));
        var workerLock = locks.ForWorker(worker);
        var holderStart = LinuxProcessProbe.Instance.StartTime(holderPid);
        var held = await workerLock.AcquireAsync(new WorkerLockRequest { HolderPid = holderPid, Session = session }, CancellationToken.None).ConfigureAwait(false);

        await using (held.ConfigureAwait(false))
        {
            await answer.WriteLineAsync(new JsonObject { ["data"] = LockCommands.AcquiredJson(held, await workerLock.GetStatusAsync(CancellationToken.None).ConfigureAwait(false)) }.ToJsonString()).ConfigureAwait(false);
            await answer.FlushAsync().ConfigureAwait(false);
            using var timer = new PeriodicTimer(HolderCheck);
            try
            {
                while (await timer.WaitForNextTickAsync(held.HandleLost).ConfigureAwait(false)
                       && LinuxProcessProbe.Instance.IsAlive(holderPid)
                       && LinuxProcessProbe.Instance.StartTime(holderPid) == holderStart)
                {
                }
            }
            catch (OperationCanceledException) when (held.HandleLost.IsCancellationRequested)
            {
                // Released by lock release (or force), or the server went away: the lock is gone either way.
            }
        }

        return ExitCodes.Done;
    }

    /// <summary>
    /// The starting command's handle on a keeper's lock: released by the holder's PID, which ends the keeper's
    /// session. The keeper's connection is not this process's to watch, so <see cref="HandleLost"/> never fires by
    /// itself; <see cref="IsHeldAsync"/> asks the server.
    /// </summary>
    private sealed class KeptHandle(IWorkerIdentityLock workerLock, WorkerLockInfo info) : WorkerLockHandle(workerLock.Worker, info, tookOver: null)
    {
        private int _released;

        public override CancellationToken HandleLost => CancellationToken.None;

        public override async Task<bool> IsHeldAsync(CancellationToken cancellationToken = default)
            => (await workerLock.GetStatusAsync(cancellationToken).ConfigureAwait(false)) is { State: WorkerLockState.Locked, Holder: { } holder } && holder.BackendPid == Info.BackendPid;

        public override async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            try
            {
                // The keeper would notice its holder's exit within a second; ending it now frees the worker before we return.
                await workerLock.ReleaseAsync(Info.Pid, CancellationToken.None).ConfigureAwait(false);
            }
            catch (AgentLocksException e) when (e.Code == ErrorCode.NotLocked)
            {
                // The keeper was first.
            }
        }
    }
}
