using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace AgentLocks;

/// <summary>What the file and in-memory stores may be configured with: the clock, the TTL policy, the repository root, logging and metrics.</summary>
/// <remarks>Usage: <c>new FileReservationStore(root, new ReservationStoreOptions { TimeProvider = fakeTime, Policy = demoPolicy })</c></remarks>
public sealed record ReservationStoreOptions
{
    /// <summary>The clock for grants, expiry and lease monitors; tests pass a fake one.</summary>
    /// <remarks>Usage: <c>new ReservationStoreOptions { TimeProvider = new FakeTimeProvider() }</c></remarks>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The TTL bounds and default; beadboard's unless set.</summary>
    /// <remarks>Usage: <c>new ReservationStoreOptions { Policy = ReservationPolicy.Default }</c></remarks>
    public ReservationPolicy Policy { get; init; } = ReservationPolicy.Default;

    /// <summary>How long the file store waits for <c>reservations/.lock</c> held by a live process before failing with <c>LOCKED</c>.</summary>
    /// <remarks>Usage: <c>new ReservationStoreOptions { LockTimeout = TimeSpan.FromSeconds(2) }</c></remarks>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The repository scopes are relative to: under it, an absolute scope (beadboard's <c>/repo/src/auth</c>, or
    /// one in any worktree of it) overlaps its relative form (<c>src/auth</c>). Null: absolute and relative scopes
    /// never overlap. The file store records the first root it is given (or that git shows) in
    /// <c>reservations/agentlocks-repository.json</c> and uses the recorded one when this is null or finds no
    /// repository, so every agent of one store agrees; a given root that differs is used by this store only.
    /// </summary>
    /// <remarks>Usage: <c>new ReservationStoreOptions { Repository = RepositoryRoot.Discover(Environment.CurrentDirectory) }</c></remarks>
    public RepositoryRoot? Repository { get; init; }

    /// <summary>Where the store's log events go (category <c>AgentLocks</c>); none when null.</summary>
    /// <remarks>Usage: <c>new ReservationStoreOptions { LoggerFactory = loggerFactory }</c></remarks>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The factory of the <c>AgentLocks</c> meter (a container's); the process-wide meter when null.</summary>
    /// <remarks>Usage: <c>new ReservationStoreOptions { MeterFactory = services.GetRequiredService&lt;IMeterFactory&gt;() }</c></remarks>
    public IMeterFactory? MeterFactory { get; init; }
}
