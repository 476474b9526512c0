namespace AgentSwarm.Swarm;

/// <summary>
/// A clock that runs <see cref="Scale"/> times faster than the real one from a shared epoch, so the store's
/// shortest lease (one minute: TTLs are whole minutes) lapses in a few seconds of the demo. Every process of a
/// run uses the same epoch and scale, so they agree on the time; timers are shortened by the same factor.
/// </summary>
internal sealed class AcceleratedTimeProvider(DateTimeOffset epoch, double scale) : TimeProvider
{
    public double Scale { get; } = scale;

    public override DateTimeOffset GetUtcNow() => epoch + ((System.GetUtcNow() - epoch) * Scale);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        => System.CreateTimer(callback, state, Shorten(dueTime), Shorten(period));

    /// <summary>The real time an accelerated span takes.</summary>
    public TimeSpan Shorten(TimeSpan span) => span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero ? span : span / Scale;
}
