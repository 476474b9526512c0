using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// What <c>doctor</c> does differently on one backend: the checks only that backend has and how it names where a
/// finding is. The identity locks are checked once, here, through the backend's <see cref="IWorkerIdentityLocks"/>.
/// </summary>
internal abstract class StoreDoctor(ReservationStore store, CommandContext context)
{
    /// <summary>The store, whose engine lists and sweeps the expired reservations on every backend alike.</summary>
    public ReservationStore Store { get; } = store;

    /// <summary>The command's arguments.</summary>
    protected CommandContext Context { get; } = context;

    /// <summary>What was looked at, the start of the envelope's <c>data</c>.</summary>
    public abstract JsonObject Where { get; }

    /// <summary>The same for the human answer's first line.</summary>
    public abstract string LookedAt { get; }

    /// <summary>Reports (and with <c>--fix</c> repairs) what only this backend has; true when its reservations can be read now.</summary>
    public abstract Task<bool> CheckStoreAsync(DoctorCommand.Report report, CancellationToken cancellationToken);

    /// <summary>
    /// Reports stale and damaged identity locks and live ones whose tmux session is gone; with <c>--fix</c> removes the
    /// stale ones. <paramref name="storeReadable"/>: what <see cref="CheckStoreAsync"/> said, for locks kept in the store.
    /// </summary>
    public async Task CheckIdentityLocksAsync(DoctorCommand.Report report, bool storeReadable, CancellationToken cancellationToken)
    {
        if (!ChecksLocks(storeReadable))
        {
            return;
        }

        var locks = Backends.OpenWorkerLocks(Context);
        var scan = await locks.FindAllAsync(LocksUnder, cancellationToken).ConfigureAwait(false);
        var cleaned = report.Fix && scan.Locks.Any(s => s.State == WorkerLockState.Stale)
            ? (await locks.CleanStaleAsync(LocksUnder, cancellationToken).ConfigureAwait(false)).Cleaned.Select(s => s.Worker).ToHashSet()
            : [];
        foreach (var stale in scan.Locks.Where(s => s.State == WorkerLockState.Stale))
        {
            report.Add("stale-lock", LockPath(stale), $"{stale.Reason} (pid {stale.Holder?.Pid})",
                cleaned.Contains(stale.Worker) ? "removed" : "left: it changed since it was judged");
        }

        try
        {
            var collisions = await WorkerLockCollisionFinder.FindAsync(scan, Context.TmuxSockets(), LockEnvironment.Default, cancellationToken).ConfigureAwait(false);
            foreach (var gone in collisions.Collisions.Where(c => c.Kind == WorkerLockCollisionKind.SessionNotFound))
            {
                // The holder lives: ending it is a decision for people, not for doctor.
                report.Add("session-gone", LockPath(gone.Status), gone.Message, "left: its process is alive",
                    repair: $"not by --fix: end pid {gone.Status.Holder?.Pid}, or {ReleaseCommand} --force --worker {gone.Status.Worker}");
            }
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.InternalError)
        {
            report.NotChecked.Add("tmux sessions: " + e.Message);
        }

        foreach (var damaged in scan.Problems.Where(p => p.Code == ErrorCode.InvalidLock))
        {
            report.Add("damaged-lock", damaged.Path, damaged.Message,
                report.Fix ? await MoveAsideDamagedLockAsync(damaged.Path, cancellationToken).ConfigureAwait(false) : null);
        }
    }

    /// <summary>Whether the identity locks are checked this run; <paramref name="storeReadable"/> as above.</summary>
    protected abstract bool ChecksLocks(bool storeReadable);

    /// <summary>Which identity locks are checked: the backend's <c>under</c> of <see cref="IWorkerIdentityLocks.FindAllAsync"/>.</summary>
    protected abstract string? LocksUnder { get; }

    /// <summary>The command line that releases a lock on this backend, for a finding's repair.</summary>
    protected abstract string ReleaseCommand { get; }

    /// <summary>Where an identity lock is, for its finding.</summary>
    protected abstract string LockPath(WorkerLockStatus status);

    /// <summary>With <c>--fix</c>, what was done with a lock its reader refuses; only a backend with lock files has such locks.</summary>
    protected virtual Task<string> MoveAsideDamagedLockAsync(string path, CancellationToken cancellationToken)
        => Task.FromResult("left: repair it by hand");

    /// <summary>Where an expired reservation is, for its finding.</summary>
    public abstract string PathOf(Reservation expired);
}
