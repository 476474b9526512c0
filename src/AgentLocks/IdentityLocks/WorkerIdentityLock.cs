namespace AgentLocks;

/// <summary>
/// The identity lock of one worker directory: at most one live process holds it, recorded in
/// <c>&lt;worker&gt;/.runtime/agent.lock</c> in gastown's format. Every read-decide-write holds gastown's
/// <c>flock</c> on <c>agent.lock.flock</c>, so this SDK and gastown exclude each other. The file backend of
/// <see cref="IWorkerIdentityLock"/>; <see cref="FileWorkerIdentityLocks"/> gives the scans as <see cref="IWorkerIdentityLocks"/>.
/// </summary>
/// <remarks>Usage: <c>await using var held = await new WorkerIdentityLock("/town/polecat-1").AcquireAsync(new WorkerLockRequest { Session = session }, ct);</c></remarks>
public sealed class WorkerIdentityLock : IWorkerIdentityLock
{
    private readonly LockFile _file;
    private readonly LockEnvironment _environment;

    /// <summary>
    /// The lock of <paramref name="workerDirectory"/>; nothing is touched until a method is called.
    /// <paramref name="timeProvider"/> (default: the system clock) stamps acquisitions, ages locks and drives the
    /// handles' monitors (<see cref="WorkerLockRequest.MonitorInterval"/>).
    /// </summary>
    /// <remarks>Usage: <c>var workerLock = new WorkerIdentityLock(workerDir);</c></remarks>
    public WorkerIdentityLock(string workerDirectory, TimeProvider? timeProvider = null)
        : this(workerDirectory, timeProvider is null ? LockEnvironment.Default : LockEnvironment.Default with { Time = timeProvider })
    {
    }

    internal WorkerIdentityLock(string workerDirectory, LockEnvironment environment)
    {
        _file = new LockFile(workerDirectory);
        _environment = environment;
    }

    /// <summary>The worker directory, absolute.</summary>
    /// <remarks>Usage: <c>workerLock.WorkerDirectory</c></remarks>
    public string WorkerDirectory => _file.WorkerDirectory;

    /// <inheritdoc/>
    public string Worker => _file.WorkerDirectory;

    /// <summary>The lock file, <c>&lt;worker&gt;/.runtime/agent.lock</c>.</summary>
    /// <remarks>Usage: <c>workerLock.LockFilePath</c></remarks>
    public string LockFilePath => _file.LockPath;

    /// <inheritdoc/>
    public async Task<WorkerLockHandle> AcquireAsync(WorkerLockRequest? request = null, CancellationToken cancellationToken = default)
    {
        var (handle, blocker) = await AcquireCoreAsync(request, cancellationToken).ConfigureAwait(false);
        return handle ?? throw new AgentLocksException(ErrorCode.Locked, $"The worker {WorkerDirectory} is locked: {Describe(blocker)}.");
    }

    /// <inheritdoc/>
    public async Task<WorkerLockHandle?> TryAcquireAsync(WorkerLockRequest? request = null, CancellationToken cancellationToken = default)
        => (await AcquireCoreAsync(request, cancellationToken).ConfigureAwait(false)).Handle;

    /// <inheritdoc/>
    public async Task<WorkerLockInfo> ReleaseAsync(int? holderPid = null, CancellationToken cancellationToken = default)
    {
        var pid = holderPid ?? Environment.ProcessId;
        using var guard = await _file.LockAsync(create: false, cancellationToken).ConfigureAwait(false);
        var info = guard?.Runtime.Read();
        if (info is null)
        {
            throw new AgentLocksException(ErrorCode.NotLocked, $"The worker {WorkerDirectory} is not locked.");
        }

        if (!LockJudge.IsHeldBy(info, pid, _environment.Processes))
        {
            var status = LockJudge.Judge(WorkerDirectory, info, _environment);
            throw new AgentLocksException(ErrorCode.NotLocked, $"The worker {WorkerDirectory} is not locked by process {pid}: {Describe(status)}. A force release removes anyone's lock.");
        }

        guard!.Runtime.Delete();
        return info;
    }

    /// <summary>
    /// Removes the lock whoever holds it (also another host's), and a lock file too damaged to read; returns its
    /// status just before (<see cref="WorkerLockState.Stale"/> with no holder for a damaged file), or null when there
    /// was none. A symlink, directory or FIFO in the lock file's place is never removed (<c>INVALID_LOCK</c>).
    /// The holder's handle notices at its next monitor tick.
    /// </summary>
    /// <remarks>Usage: <c>var removed = await workerLock.ForceReleaseAsync(ct); Console.WriteLine(removed?.Holder?.Pid);</c></remarks>
    public async Task<WorkerLockStatus?> ForceReleaseAsync(CancellationToken cancellationToken = default)
    {
        using var guard = await _file.LockAsync(create: false, cancellationToken).ConfigureAwait(false);
        if (guard is null)
        {
            return null;
        }

        WorkerLockStatus status;
        try
        {
            if (guard.Runtime.Read() is not { } info)
            {
                return null;
            }

            status = LockJudge.Judge(WorkerDirectory, info, _environment);
        }
        catch (AgentLocksException e) when (LockFile.IsRemovable(e))
        {
            // A damaged regular file goes; a symlink, directory or FIFO is for people to look at.
            status = new WorkerLockStatus(WorkerDirectory, WorkerLockState.Stale, null, null, $"damaged: {e.Message}");
        }

        guard.Runtime.Delete();
        return status;
    }

    /// <summary>The lock file's contents, or null when unlocked; <c>INVALID_LOCK</c> when damaged.</summary>
    /// <remarks>Usage: <c>var holder = await workerLock.ReadAsync(ct);</c></remarks>
    public Task<WorkerLockInfo?> ReadAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_file.Read());
    }

    /// <inheritdoc/>
    public async Task<WorkerLockStatus> GetStatusAsync(CancellationToken cancellationToken = default)
        => LockJudge.Judge(WorkerDirectory, await ReadAsync(cancellationToken).ConfigureAwait(false), _environment);

    /// <summary>
    /// gastown's check: removes the lock if it is stale (under the flock, so a lock just taken by someone else is
    /// never removed) and returns the status that results.
    /// </summary>
    /// <remarks>Usage: <c>var status = await workerLock.CheckAsync(ct); if (status.State == WorkerLockState.Locked) return;</c></remarks>
    public async Task<WorkerLockStatus> CheckAsync(CancellationToken cancellationToken = default)
    {
        var removed = await RemoveIfStaleAsync(cancellationToken).ConfigureAwait(false);
        return removed is null
            ? await GetStatusAsync(cancellationToken).ConfigureAwait(false)
            : new WorkerLockStatus(Worker, WorkerLockState.Unlocked, null, null, $"removed a stale lock: {removed.Reason}");
    }

    /// <summary>Every worker lock below <paramref name="root"/>, skipping <c>.git</c>, <c>node_modules</c>, build output and symlinks; unreadable directories and damaged lock files are reported in <see cref="WorkerLockScan.Problems"/>.</summary>
    /// <remarks>Usage: <c>var scan = await WorkerIdentityLock.FindAllAsync("/town", ct);</c></remarks>
    public static Task<WorkerLockScan> FindAllAsync(string root, CancellationToken cancellationToken = default)
        => FindAllAsync(root, LockEnvironment.Default, cancellationToken);

    /// <summary>Removes every stale lock below <paramref name="root"/>, each under its flock and judged again there.</summary>
    /// <remarks>Usage: <c>var result = await WorkerIdentityLock.CleanStaleAsync("/town", ct); Console.WriteLine(result.Cleaned.Count);</c></remarks>
    public static Task<WorkerLockCleanResult> CleanStaleAsync(string root, CancellationToken cancellationToken = default)
        => CleanStaleAsync(root, LockEnvironment.Default, cancellationToken);

    /// <summary>
    /// Stale locks, and live locks whose tmux session, window or pane is on none of <paramref name="tmuxSockets"/>
    /// (null entries and a null list mean the default server), as <see cref="IWorkerIdentityLocks.DetectCollisionsAsync"/> says.
    /// </summary>
    /// <remarks>Usage: <c>var report = await WorkerIdentityLock.DetectCollisionsAsync("/town", ["gt", null], ct);</c></remarks>
    public static Task<WorkerLockCollisionReport> DetectCollisionsAsync(string root, IReadOnlyList<string?>? tmuxSockets = null, CancellationToken cancellationToken = default)
        => DetectCollisionsAsync(root, tmuxSockets, LockEnvironment.Default, cancellationToken);

    internal static Task<WorkerLockScan> FindAllAsync(string root, LockEnvironment environment, CancellationToken cancellationToken)
    {
        var (workers, problems) = WorkerLockScanner.Find(root, cancellationToken);
        var locks = new List<WorkerLockStatus>();
        foreach (var worker in workers)
        {
            try
            {
                locks.Add(LockJudge.Judge(worker, new LockFile(worker).Read(), environment));
            }
            catch (Exception e) when (e is AgentLocksException or IOException or UnauthorizedAccessException)
            {
                problems.Add(new WorkerLockProblem(
                    Path.Combine(worker, LockFile.RuntimeDirectoryName, LockFile.LockFileName),
                    e is AgentLocksException known ? known.Code : ErrorCode.InternalError,
                    e.Message));
            }
        }

        return Task.FromResult(new WorkerLockScan(locks, problems));
    }

    internal static async Task<WorkerLockCleanResult> CleanStaleAsync(string root, LockEnvironment environment, CancellationToken cancellationToken)
    {
        var scan = await FindAllAsync(root, environment, cancellationToken).ConfigureAwait(false);
        var cleaned = new List<WorkerLockStatus>();
        var problems = scan.Problems.ToList();
        foreach (var candidate in scan.Locks.Where(s => s.State == WorkerLockState.Stale))
        {
            try
            {
                if (await new WorkerIdentityLock(candidate.Worker, environment).RemoveIfStaleAsync(cancellationToken).ConfigureAwait(false) is { } removed)
                {
                    cleaned.Add(removed);
                }
            }
            catch (Exception e) when (e is AgentLocksException or IOException or UnauthorizedAccessException)
            {
                problems.Add(new WorkerLockProblem(candidate.Worker, e is AgentLocksException known ? known.Code : ErrorCode.InternalError, e.Message));
            }
        }

        return new WorkerLockCleanResult(cleaned, problems);
    }

    internal static async Task<WorkerLockCollisionReport> DetectCollisionsAsync(string root, IReadOnlyList<string?>? tmuxSockets, LockEnvironment environment, CancellationToken cancellationToken)
        => await WorkerLockCollisionFinder.FindAsync(await FindAllAsync(root, environment, cancellationToken).ConfigureAwait(false), tmuxSockets, environment, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// True while the lock file carries this acquisition's token. A damaged file, a symlink or a removed worker
    /// directory is not ours; an I/O error reading the file is thrown, since it says nothing about the owner.
    /// </summary>
    internal async Task<bool> IsOwnedAsync(WorkerLockInfo info, CancellationToken cancellationToken)
    {
        try
        {
            return (await ReadAsync(cancellationToken).ConfigureAwait(false))?.OwnerToken == info.OwnerToken;
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.InvalidLock || IsWorkerDirectoryGone(e))
        {
            return false;
        }
    }

    /// <summary>Removes the lock if it still carries this acquisition's token; a lock replaced meanwhile is left alone.</summary>
    internal async Task ReleaseOwnedAsync(WorkerLockInfo info, CancellationToken cancellationToken)
    {
        FlockGuard? guard;
        try
        {
            guard = await _file.LockAsync(create: false, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentLocksException e) when (IsWorkerDirectoryGone(e))
        {
            return;
        }

        using (guard)
        {
            if (guard is not null && Carries(guard.Runtime, info))
            {
                guard.Runtime.Delete();
            }
        }
    }

    /// <summary>True when the lock file in <paramref name="runtime"/> carries <paramref name="info"/>'s token; a damaged one does not.</summary>
    private static bool Carries(RuntimeDirectory runtime, WorkerLockInfo info)
    {
        try
        {
            return runtime.Read()?.OwnerToken == info.OwnerToken;
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.InvalidLock)
        {
            return false;
        }
    }

    /// <summary>A removed worker directory took the lock file with it: <c>INVALID_ARGS</c> from a read or flock then means "no lock".</summary>
    private bool IsWorkerDirectoryGone(AgentLocksException e) => e.Code == ErrorCode.InvalidArgs && !Directory.Exists(WorkerDirectory);

    private async Task<(WorkerLockHandle? Handle, WorkerLockStatus Blocker)> AcquireCoreAsync(WorkerLockRequest? request, CancellationToken cancellationToken)
    {
        var processes = _environment.Processes;
        request ??= new WorkerLockRequest();
        var monitorInterval = request.EffectiveMonitorInterval();
        var host = request.EffectiveHostName(processes.HostName);
        var (pid, startTime) = request.RunningHolder(processes);

        _file.RequireWorkerDirectory();
        using var guard = await _file.LockAsync(create: true, cancellationToken).ConfigureAwait(false);
        var current = LockJudge.Judge(WorkerDirectory, guard!.Runtime.Read(), _environment);
        if (current.State is WorkerLockState.Locked or WorkerLockState.ForeignHost)
        {
            return (null, current);
        }

        var info = new WorkerLockInfo(pid, _environment.Time.GetUtcNow(), request.Session, host, startTime, processes.BootId, Guid.NewGuid().ToString("N"));
        guard.Runtime.Write(info);
        return (new FileWorkerLockHandle(this, info, current.State == WorkerLockState.Stale ? current : null, _environment.Time, monitorInterval), current);
    }

    private async Task<WorkerLockStatus?> RemoveIfStaleAsync(CancellationToken cancellationToken)
    {
        using var guard = await _file.LockAsync(create: false, cancellationToken).ConfigureAwait(false);
        if (guard is null)
        {
            return null;
        }

        var status = LockJudge.Judge(WorkerDirectory, guard.Runtime.Read(), _environment);
        if (status.State != WorkerLockState.Stale)
        {
            return null;
        }

        guard.Runtime.Delete();
        return status;
    }

    private static string Describe(WorkerLockStatus status)
        => status.Holder is { } holder
            ? $"{status.Reason} (session {holder.Session?.ToString() ?? "none"}, host {holder.HostName ?? "unknown"}, acquired {UtcTimestampJsonConverter.Text(holder.AcquiredAt)})"
            : status.Reason;

}
