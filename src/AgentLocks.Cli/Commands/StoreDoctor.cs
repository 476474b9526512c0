using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// What <c>doctor</c> does differently on one backend: the checks only that backend has, the identity locks (two
/// lock APIs today, so two implementations behind this one member), and how it names where a finding is.
/// </summary>
internal abstract class StoreDoctor(ReservationStore store)
{
    /// <summary>The store, whose engine lists and sweeps the expired reservations on every backend alike.</summary>
    public ReservationStore Store { get; } = store;

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
    public abstract Task CheckIdentityLocksAsync(DoctorCommand.Report report, bool storeReadable, CancellationToken cancellationToken);

    /// <summary>Where an expired reservation is, for its finding.</summary>
    public abstract string PathOf(Reservation expired);
}
