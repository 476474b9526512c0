namespace AgentLocks;

/// <summary>
/// A held reservation. Disposing releases it (once; later disposals do nothing). <see cref="HandleLost"/> is
/// cancelled when the lease is lost: it expired, another agent took it over, it was released by someone else, or
/// the store's connection to its server was lost (PostgreSQL).
/// A lease monitor checks every third of the TTL (on the store's <see cref="TimeProvider"/>), and with
/// <see cref="ReservationRequest.AutoRenew"/> renews the lease instead.
/// </summary>
/// <remarks>Usage: <c>await using var held = await store.ReserveAsync(request); Console.WriteLine(held.FencingToken);</c></remarks>
public sealed class ReservationHandle : ILockHandle
{
    private readonly IReservationLeaseOwner _owner;
    private readonly TimeSpan _ttl;
    private readonly bool _autoRenew;
    private readonly TimeProvider _time;
    private readonly LossMonitor _monitor;
    private readonly CancellationTokenRegistration _connectionLost;
    private readonly StoreTelemetry _telemetry;
    private Reservation _reservation;

    internal ReservationHandle(IReservationLeaseOwner owner, Reservation reservation, TimeSpan ttl, bool autoRenew, TimeProvider time, CancellationToken connectionLost, StoreTelemetry telemetry)
    {
        _telemetry = telemetry;
        _owner = owner;
        _reservation = reservation;
        _ttl = ttl;
        _autoRenew = autoRenew;
        _time = time;
        _monitor = new LossMonitor(time, ttl / 3, CheckLeaseAsync);
        _connectionLost = connectionLost.Register(static monitor => ((LossMonitor)monitor!).MarkLost(), _monitor);

        // Held from here until released or lost; the monitor cancels Lost only before disposal, so never both.
        telemetry.HandleHeld(+1);
        _monitor.Lost.Register(static handle => ((ReservationHandle)handle!).OnLost(), this);
    }

    /// <summary>The reservation as last granted, renewed or seen by the lease monitor.</summary>
    /// <remarks>Usage: <c>held.Reservation.ExpiresAt</c></remarks>
    public Reservation Reservation => Volatile.Read(ref _reservation);

    /// <summary>The fencing token of this grant.</summary>
    /// <remarks>Usage: <c>held.FencingToken</c></remarks>
    public FencingToken FencingToken => Reservation.FencingToken ?? default;

    /// <inheritdoc/>
    public CancellationToken HandleLost => _monitor.Lost;

    /// <summary>The lease monitor's latest check; tests await it after advancing a fake clock.</summary>
    internal Task LastMonitorTick => _monitor.LastTick;

    /// <summary>Extends the lease (by the handle's TTL unless given); fails with <c>RESERVATION_NOT_FOUND</c> when it was lost.</summary>
    /// <remarks>Usage: <c>await held.RenewAsync(TimeSpan.FromMinutes(30), ct);</c></remarks>
    public async Task<Reservation> RenewAsync(TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var renewed = await _owner.RenewAsync(Reservation, ttl ?? _ttl, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _reservation, renewed);
            return renewed;
        }
        catch (AgentLocksException e) when (e.Code == ErrorCode.ReservationNotFound)
        {
            _monitor.MarkLost();
            throw;
        }
    }

    /// <summary>Releases the reservation; idempotent. A lease already lost is not released again.</summary>
    /// <remarks>Usage: <c>await held.DisposeAsync();</c></remarks>
    public ValueTask DisposeAsync()
        => _monitor.DisposeAsync(async () =>
        {
            await _connectionLost.DisposeAsync().ConfigureAwait(false);
            if (!HandleLost.IsCancellationRequested)
            {
                _telemetry.HandleHeld(-1);
            }

            await _owner.ReleaseAsync(Reservation, CancellationToken.None).ConfigureAwait(false);
        });

    private void OnLost() => _telemetry.HandleLost(Reservation);

    private async Task CheckLeaseAsync()
    {
        try
        {
            if (_autoRenew)
            {
                await RenewAsync(null, CancellationToken.None).ConfigureAwait(false);
            }
            else if (await _owner.FindLiveAsync(Reservation.Id, CancellationToken.None).ConfigureAwait(false) is { } current)
            {
                Volatile.Write(ref _reservation, current);
            }
            else
            {
                _monitor.MarkLost();
            }
        }
        catch (Exception e) when (e is AgentLocksException or IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The store could not be asked this time; past the expiry by our own clock the lease is gone regardless.
            if (Reservation.ExpiresAt <= _time.GetUtcNow())
            {
                _monitor.MarkLost();
            }
        }
    }
}

/// <summary>What a handle calls back into: the store that granted it.</summary>
internal interface IReservationLeaseOwner
{
    /// <summary>Renews by reservation id, so a holder that lost its lease cannot renew the next holder's.</summary>
    Task<Reservation> RenewAsync(Reservation reservation, TimeSpan? ttl, CancellationToken cancellationToken);

    /// <summary>Releases by reservation id; a reservation already gone is not an error here.</summary>
    Task ReleaseAsync(Reservation reservation, CancellationToken cancellationToken);

    /// <summary>The reservation with this id while its lease is live, else null.</summary>
    Task<Reservation?> FindLiveAsync(ReservationId id, CancellationToken cancellationToken);
}
