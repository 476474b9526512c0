namespace AgentLocks;

/// <summary>
/// Arrival order among the waiters of one store instance: a waiter does not take a scope an earlier waiter is
/// waiting for, unless its agent already holds an overlapping reservation (the holder extending its own work; the
/// earlier waiter waits for that holder anyway). Waiters of other processes are ordered by the store, not here.
/// Scopes compare under <paramref name="repository"/>.
/// </summary>
internal sealed class WaitQueue(RepositoryRoot repository)
{
    private readonly object _gate = new();
    private readonly LinkedList<IReadOnlyList<ReservationRequest>> _waiting = [];

    /// <summary>Joins the end of the queue.</summary>
    public LinkedListNode<IReadOnlyList<ReservationRequest>> Enter(IReadOnlyList<ReservationRequest> requests)
    {
        lock (_gate)
        {
            return _waiting.AddLast(requests);
        }
    }

    /// <summary>Leaves the queue (granted, refused, timed out or cancelled).</summary>
    public void Leave(LinkedListNode<IReadOnlyList<ReservationRequest>> waiter)
    {
        lock (_gate)
        {
            _waiting.Remove(waiter);
        }
    }

    /// <summary>An earlier waiter's request that <paramref name="waiter"/>'s <paramref name="request"/> must let go first, if any.</summary>
    public ReservationRequest? Ahead(LinkedListNode<IReadOnlyList<ReservationRequest>> waiter, ReservationRequest request)
    {
        lock (_gate)
        {
            for (var earlier = waiter.Previous; earlier is not null; earlier = earlier.Previous)
            {
                if (earlier.Value.FirstOrDefault(e => ReservationLedger.Conflicts(e.Agent, e.Scope, e.Mode, request, repository)) is { } first)
                {
                    return first;
                }
            }

            return null;
        }
    }
}
