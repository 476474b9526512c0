namespace AgentLocks;

/// <summary>
/// What every AgentLocks acquisition returns: release it with <c>await using</c> (or
/// <see cref="IAsyncDisposable.DisposeAsync"/> in a <c>finally</c>); analyzer <c>AGL001</c> checks that you do.
/// </summary>
/// <remarks>Usage: <c>await using ILockHandle held = await store.ReserveAsync(request);</c></remarks>
public interface ILockHandle : IAsyncDisposable
{
    /// <summary>Cancelled when the lock or lease is lost (expired, taken over, released by force, connection lost).</summary>
    /// <remarks>Usage: <c>await DoWorkAsync(held.HandleLost);</c></remarks>
    CancellationToken HandleLost { get; }
}
