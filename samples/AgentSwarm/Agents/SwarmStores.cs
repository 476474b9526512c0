using AgentLocks;

namespace AgentSwarm.Agents;

/// <summary>The store an agent works with: the embedded file store under the run directory, or PostgreSQL.</summary>
internal sealed class SwarmStores : IAsyncDisposable
{
    private SwarmStores(IReservationStore store) => Store = store;

    public IReservationStore Store { get; }

    public static Task<SwarmStores> OpenAsync(AgentContext context, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        // TTLs are whole minutes; one minute on the accelerated clock is the demo's few-second lease.
        var options = new ReservationStoreOptions
        {
            TimeProvider = context.Clock,
            Policy = new ReservationPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(1)),
        };
        return Task.FromResult(new SwarmStores(new FileReservationStore(context.Layout.Store, options)));
    }

    public ValueTask DisposeAsync() => Store is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
