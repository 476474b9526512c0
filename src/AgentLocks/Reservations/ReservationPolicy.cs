using System.Globalization;

namespace AgentLocks;

/// <summary>
/// The TTL rules of a store: leases are whole minutes between <see cref="MinTtl"/> and <see cref="MaxTtl"/>,
/// and a request without a TTL gets <see cref="DefaultTtl"/>. The default is beadboard's: 5 to 1440 minutes, 120 by default.
/// </summary>
/// <remarks>Usage: <c>new ReservationStoreOptions { Policy = new ReservationPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(2)) }</c></remarks>
public sealed class ReservationPolicy
{
    /// <summary>Creates a policy; every bound must be a positive whole number of minutes and <c>min &lt;= default &lt;= max</c>.</summary>
    /// <remarks>Usage: <c>var demo = new ReservationPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(5));</c></remarks>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not a positive whole number of minutes, or they are out of order.</exception>
    public ReservationPolicy(TimeSpan minTtl, TimeSpan maxTtl, TimeSpan defaultTtl)
    {
        RequireWholeMinutes(minTtl, nameof(minTtl));
        RequireWholeMinutes(maxTtl, nameof(maxTtl));
        RequireWholeMinutes(defaultTtl, nameof(defaultTtl));
        if (minTtl > defaultTtl || defaultTtl > maxTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(defaultTtl), defaultTtl, "The TTL bounds must satisfy min <= default <= max.");
        }

        MinTtl = minTtl;
        MaxTtl = maxTtl;
        DefaultTtl = defaultTtl;
    }

    /// <summary>beadboard's policy: 5 to 1440 minutes, 120 by default.</summary>
    /// <remarks>Usage: <c>ReservationPolicy.Default.MaxTtl</c></remarks>
    public static ReservationPolicy Default { get; } = new(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1440), TimeSpan.FromMinutes(120));

    /// <summary>The shortest lease.</summary>
    /// <remarks>Usage: <c>policy.MinTtl</c></remarks>
    public TimeSpan MinTtl { get; }

    /// <summary>The longest lease.</summary>
    /// <remarks>Usage: <c>policy.MaxTtl</c></remarks>
    public TimeSpan MaxTtl { get; }

    /// <summary>The lease of a request that names none.</summary>
    /// <remarks>Usage: <c>policy.DefaultTtl</c></remarks>
    public TimeSpan DefaultTtl { get; }

    /// <summary>The TTL to grant for <paramref name="requested"/>, or the <c>INVALID_ARGS</c> error that refuses it.</summary>
    /// <remarks>Usage: <c>var error = policy.Validate(request.Ttl, out var ttl);</c></remarks>
    public AgentLocksError? Validate(TimeSpan? requested, out TimeSpan ttl)
    {
        ttl = requested ?? DefaultTtl;
        if (IsWholeMinutes(ttl) && ttl >= MinTtl && ttl <= MaxTtl)
        {
            return null;
        }

        return new AgentLocksError(ErrorCode.InvalidArgs, string.Create(CultureInfo.InvariantCulture,
            $"TTL must be a whole number of minutes from {MinTtl.TotalMinutes} to {MaxTtl.TotalMinutes}, not {ttl.TotalMinutes} minutes."));
    }

    private static bool IsWholeMinutes(TimeSpan value) => value > TimeSpan.Zero && value.Ticks % TimeSpan.TicksPerMinute == 0;

    private static void RequireWholeMinutes(TimeSpan value, string name)
    {
        if (!IsWholeMinutes(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "A TTL bound must be a positive whole number of minutes.");
        }
    }
}
