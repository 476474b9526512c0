namespace AgentLocks;

/// <summary>The one rule of collision detection, for every backend: what is stale, and which live local holder lost its tmux target.</summary>
internal static class WorkerLockCollisionFinder
{
    public static async Task<WorkerLockCollisionReport> FindAsync(WorkerLockScan scan, IReadOnlyList<string?>? tmuxSockets, LockEnvironment environment, CancellationToken cancellationToken)
    {
        IReadOnlyList<string?> sockets = tmuxSockets is { Count: > 0 } ? [.. tmuxSockets.Distinct()] : [null];
        TmuxTargets? live = null;
        var collisions = new List<WorkerLockCollision>();
        foreach (var status in scan.Locks)
        {
            if (status.State == WorkerLockState.Stale)
            {
                collisions.Add(new WorkerLockCollision(WorkerLockCollisionKind.Stale, status, $"stale lock of {status.Worker}: {status.Reason}"));
            }
            else if (status is { State: WorkerLockState.Locked, Holder: { Session: { } session } holder } && IsLocal(holder, environment))
            {
                // Asked only now, so a machine without tmux and without such locks is fine.
                live ??= await ListAsync(sockets, environment, cancellationToken).ConfigureAwait(false);
                if (!live.Contains(session))
                {
                    collisions.Add(new WorkerLockCollision(
                        WorkerLockCollisionKind.SessionNotFound,
                        status,
                        $"orphaned lock of {status.Worker}: tmux {Describe(session.Kind)} {session} is not live, process {holder.Pid} still runs"));
                }
            }
        }

        return new WorkerLockCollisionReport(collisions, scan.Problems, sockets);
    }

    /// <summary>Written on this host (or by a writer that did not say): only then does this host's tmux know the session.</summary>
    private static bool IsLocal(WorkerLockInfo holder, LockEnvironment environment)
        => holder.HostName is null || string.Equals(holder.HostName, environment.Processes.HostName, StringComparison.OrdinalIgnoreCase);

    private static async Task<TmuxTargets> ListAsync(IReadOnlyList<string?> sockets, LockEnvironment environment, CancellationToken cancellationToken)
    {
        var live = new TmuxTargets();
        foreach (var socket in sockets)
        {
            live.AddAll(await environment.Tmux.ListAsync(socket, cancellationToken).ConfigureAwait(false));
        }

        return live;
    }

    private static string Describe(TmuxTargetKind kind) => kind switch
    {
        TmuxTargetKind.PaneId => "pane",
        TmuxTargetKind.WindowId => "window",
        _ => "session",
    };
}
