namespace AgentLocks;

/// <summary>
/// Several reservations taken all-or-nothing (<see cref="IReservationStore.ReserveAllAsync"/>, or a generated
/// <c>ReserveScopesAsync</c>). Disposing releases every one, in reverse order.
/// </summary>
/// <remarks>Usage: <c>await using var all = await store.ReserveAllAsync(requests); foreach (var h in all.Handles) { ... }</c></remarks>
public sealed class ReservationSetHandle : ILockHandle
{
    private readonly CancellationTokenSource _lost;
    private int _disposed;

    internal ReservationSetHandle(IReadOnlyList<ReservationHandle> handles)
    {
        Handles = handles;
        _lost = handles.Count == 0
            ? new CancellationTokenSource()
            : CancellationTokenSource.CreateLinkedTokenSource([.. handles.Select(h => h.HandleLost)]);
    }

    /// <summary>The handles, in the canonical order they were taken.</summary>
    /// <remarks>Usage: <c>all.Handles[0].Reservation.Scope</c></remarks>
    public IReadOnlyList<ReservationHandle> Handles { get; }

    /// <summary>Cancelled when any of the reservations is lost.</summary>
    /// <remarks>Usage: <c>await WorkAsync(all.HandleLost);</c></remarks>
    public CancellationToken HandleLost => _lost.Token;

    /// <summary>Releases every reservation, in reverse order; idempotent.</summary>
    /// <remarks>Usage: <c>await all.DisposeAsync();</c></remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        List<Exception>? errors = null;
        for (var i = Handles.Count - 1; i >= 0; i--)
        {
            try
            {
                await Handles[i].DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is AgentLocksException or IOException)
            {
                (errors ??= []).Add(e);
            }
        }

        _lost.Dispose();
        if (errors is not null)
        {
            throw new AggregateException("Some reservations could not be released.", errors);
        }
    }
}
