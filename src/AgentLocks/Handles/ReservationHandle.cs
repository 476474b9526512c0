namespace AgentLocks;

/// <summary>
/// A held reservation. Disposing releases it (once; later disposals do nothing). <see cref="HandleLost"/> is
/// cancelled when the lease is lost.
/// </summary>
/// <remarks>Usage: <c>await using var held = await store.ReserveAsync(request); Console.WriteLine(held.FencingToken);</c></remarks>
public sealed class ReservationHandle : ILockHandle
{
    private readonly IReservationLeaseOwner _owner;
    private readonly CancellationTokenSource _lost = new();
    private int _disposed;

    internal ReservationHandle(IReservationLeaseOwner owner, Reservation reservation)
    {
        _owner = owner;
        Reservation = reservation;
    }

    /// <summary>The reservation as last granted or renewed.</summary>
    /// <remarks>Usage: <c>held.Reservation.ExpiresAt</c></remarks>
    public Reservation Reservation { get; private set; }

    /// <summary>The fencing token of this grant.</summary>
    /// <remarks>Usage: <c>held.FencingToken</c></remarks>
    public FencingToken FencingToken => Reservation.FencingToken ?? default;

    /// <inheritdoc/>
    public CancellationToken HandleLost => _lost.Token;

    /// <summary>Extends the lease; fails with <c>RESERVATION_NOT_FOUND</c> when it was lost.</summary>
    /// <remarks>Usage: <c>await held.RenewAsync(TimeSpan.FromMinutes(30), ct);</c></remarks>
    public async Task<Reservation> RenewAsync(TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        Reservation = await _owner.RenewAsync(Reservation, ttl, cancellationToken).ConfigureAwait(false);
        return Reservation;
    }

    /// <summary>Releases the reservation; idempotent.</summary>
    /// <remarks>Usage: <c>await held.DisposeAsync();</c></remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _owner.ReleaseAsync(Reservation, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _lost.Dispose();
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
}
