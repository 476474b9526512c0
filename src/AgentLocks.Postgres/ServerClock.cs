namespace AgentLocks.Postgres;

/// <summary>
/// Where a store's <c>now</c> comes from: the server's <c>clock_timestamp()</c>, read inside the transaction after
/// its lock is granted, never the client's clock. Tests pin it to one instant the server reported and move it with
/// <see cref="Offset"/>, so the shared contract can step time and compare timestamps exactly.
/// </summary>
internal sealed class ServerClock
{
    /// <summary>The SQL expression of <c>now</c>; its two parameters are <see cref="Pinned"/> and <see cref="Offset"/>.</summary>
    public const string Now = "coalesce($1::timestamptz, clock_timestamp()) + $2::interval";

    /// <summary>Tests only: a fixed instant (taken from the server) used instead of the running clock.</summary>
    public DateTimeOffset? Pinned { get; set; }

    /// <summary>Tests only: added to the server's time.</summary>
    public TimeSpan Offset { get; set; }

    public object PinnedParameter => Pinned is { } pinned ? pinned.ToUniversalTime() : DBNull.Value;
}
