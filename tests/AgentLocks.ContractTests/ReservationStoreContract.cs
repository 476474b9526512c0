using Xunit;

namespace AgentLocks.ContractTests;

/// <summary>
/// The one contract every <see cref="IReservationStore"/> keeps. A store's test project derives from it and says
/// how to create a store with a TTL policy and how to move that store's clock forward (a fake clock for the file
/// and in-memory stores; the server-time offset for PostgreSQL).
/// </summary>
public abstract partial class ReservationStoreContract
{
    /// <summary>beadboard's agents of the fixtures.</summary>
    protected static readonly AgentId AgentA = AgentId.Parse("agent-a");

    /// <summary>A second agent.</summary>
    protected static readonly AgentId AgentB = AgentId.Parse("agent-b");

    /// <summary>A bead.</summary>
    protected static readonly BeadId Bead = BeadId.Parse("bb-101");

    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(30);

    /// <summary>The repository root the next created store gets (null: none).</summary>
    protected RepositoryRoot? Repository { get; set; }

    /// <summary>A new, empty store using <paramref name="policy"/> and <see cref="Repository"/>, on this test's clock.</summary>
    protected abstract Task<IReservationStore> CreateStoreAsync(ReservationPolicy policy);

    /// <summary>Moves the store's clock forward by <paramref name="by"/>, firing due lease monitors.</summary>
    protected abstract Task AdvanceAsync(TimeSpan by);

    /// <summary>A store with beadboard's policy and agent-a and agent-b registered.</summary>
    protected async Task<IReservationStore> StoreWithAgentsAsync(ReservationPolicy? policy = null)
    {
        var store = await CreateStoreAsync(policy ?? ReservationPolicy.Default);
        await store.RegisterAgentAsync(AgentA);
        await store.RegisterAgentAsync(AgentB, new AgentRegistration("backend", "Agent B"));
        return store;
    }

    /// <summary>A request with the contract's defaults.</summary>
    protected static ReservationRequest Request(AgentId agent, string scope, TimeSpan? ttl = null)
        => new(agent, ScopePattern.Parse(scope), Bead, ttl ?? Ttl);

    [Fact]
    public async Task Reserve_grants_an_active_reservation_with_beadboards_fields()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src/auth/**"));

        var r = held.Reservation;
        Assert.Equal(ReservationState.Active, r.State);
        Assert.Equal(AgentA, r.AgentId);
        Assert.Equal(Bead, r.BeadId);
        Assert.Equal("src/auth/**", r.Scope.Value);
        Assert.Equal(Ttl, r.ExpiresAt - r.CreatedAt);
        Assert.Null(r.ReleasedAt);
        Assert.StartsWith("res_", r.Id.Value, StringComparison.Ordinal);
        Assert.True(held.FencingToken.Value > 0);
        Assert.False(held.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task Reserve_without_ttl_takes_the_policy_default()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(new ReservationRequest(AgentA, ScopePattern.Parse("src"), Bead));
        Assert.Equal(TimeSpan.FromMinutes(120), held.Reservation.ExpiresAt - held.Reservation.CreatedAt);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1441)]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task Ttl_outside_the_bounds_is_invalid_args(int minutes)
    {
        var store = await StoreWithAgentsAsync();
        var result = await store.TryReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(minutes)));
        Assert.Equal(ErrorCode.InvalidArgs, result.Error?.Code);
    }

    [Fact]
    public async Task Ttl_that_is_not_whole_minutes_is_invalid_args()
    {
        var store = await StoreWithAgentsAsync();
        var result = await store.TryReserveAsync(Request(AgentA, "src", TimeSpan.FromSeconds(390)));
        Assert.Equal(ErrorCode.InvalidArgs, result.Error?.Code);
    }

    [Fact]
    public async Task A_configured_policy_allows_shorter_leases()
    {
        var policy = new ReservationPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(2));
        var store = await StoreWithAgentsAsync(policy);
        await using var held = await store.ReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromMinutes(1), held.Reservation.ExpiresAt - held.Reservation.CreatedAt);
        Assert.Equal(ErrorCode.InvalidArgs, (await store.TryReserveAsync(Request(AgentB, "docs", TimeSpan.FromMinutes(11)))).Error?.Code);
    }

    [Fact]
    public async Task Unknown_agent_cannot_reserve()
    {
        var store = await CreateStoreAsync(ReservationPolicy.Default);
        var result = await store.TryReserveAsync(Request(AgentA, "src"));
        Assert.Equal(ErrorCode.AgentNotFound, result.Error?.Code);
        var thrown = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReserveAsync(Request(AgentA, "src")));
        Assert.Equal(ErrorCode.AgentNotFound, thrown.Code);
    }

    [Theory]
    [InlineData("src/auth/**", "src/auth/login.cs")]
    [InlineData("src/auth/**", "src")]
    [InlineData("src/auth", "src/auth/login.cs")]
    [InlineData("deploy:prod", "deploy:prod")]
    [InlineData("/repo/src/auth", "/repo/src/auth/login.ts")]
    public async Task Overlapping_scope_of_another_agent_conflicts(string first, string second)
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, first));
        var result = await store.TryReserveAsync(Request(AgentB, second));
        Assert.Equal(ErrorCode.ReservationConflict, result.Error?.Code);
        Assert.Contains("agent-a", result.Error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("src/auth/**", "src/api/**")]
    [InlineData("src/auth", "/src/auth")]
    [InlineData("deploy:prod", "deploy:staging")]
    [InlineData("bead:bd-12", "bead")]
    public async Task Disjoint_scopes_are_both_granted(string first, string second)
    {
        var store = await StoreWithAgentsAsync();
        await using var a = await store.ReserveAsync(Request(AgentA, first));
        await using var b = await store.ReserveAsync(Request(AgentB, second));
        Assert.Equal(2, (await store.GetStatusAsync()).Summary.Active);
    }

    [Fact]
    public async Task Shared_reservations_coexist_and_conflict_with_exclusive_ones()
    {
        var store = await StoreWithAgentsAsync();
        await using var a = await store.ReserveAsync(Request(AgentA, "docs/**") with { Mode = ReservationMode.Shared });
        await using var b = await store.ReserveAsync(Request(AgentB, "docs/auth.md") with { Mode = ReservationMode.Shared });
        Assert.Equal(ReservationMode.Shared, b.Reservation.Mode);

        await store.RegisterAgentAsync(AgentId.Parse("agent-c"));
        var exclusive = await store.TryReserveAsync(Request(AgentId.Parse("agent-c"), "docs"));
        Assert.Equal(ErrorCode.ReservationConflict, exclusive.Error?.Code);
    }

    [Fact]
    public async Task Shared_request_conflicts_with_an_exclusive_holder()
    {
        var store = await StoreWithAgentsAsync();
        await using var a = await store.ReserveAsync(Request(AgentA, "docs"));
        var shared = await store.TryReserveAsync(Request(AgentB, "docs/auth.md") with { Mode = ReservationMode.Shared });
        Assert.Equal(ErrorCode.ReservationConflict, shared.Error?.Code);
    }

    [Fact]
    public async Task An_agent_does_not_conflict_with_itself()
    {
        var store = await StoreWithAgentsAsync();
        await using var outer = await store.ReserveAsync(Request(AgentA, "src/**"));
        await using var inner = await store.ReserveAsync(Request(AgentA, "src/auth/login.cs"));
        Assert.NotEqual(outer.Reservation.Id, inner.Reservation.Id);
    }

    [Fact]
    public async Task Same_agent_reserving_the_same_scope_again_refreshes_it_in_place()
    {
        var store = await StoreWithAgentsAsync();
        await using var first = await store.ReserveAsync(Request(AgentA, "src"));
        var granted = first.Reservation;

        // The advance fires first's lease monitor (a third of the TTL), which may copy the refreshed row into
        // first.Reservation at any moment, so compare with the reservation as granted.
        await AdvanceAsync(TimeSpan.FromMinutes(10));
        await using var again = await store.ReserveAsync(Request(AgentA, "src"));

        Assert.Equal(granted.Id, again.Reservation.Id);
        Assert.Equal(first.FencingToken, again.FencingToken);
        Assert.Equal(granted.ExpiresAt + TimeSpan.FromMinutes(10), again.Reservation.ExpiresAt);
        var status = await store.GetStatusAsync();
        Assert.Single(status.Reservations);
    }

    [Fact]
    public async Task Expired_reservation_of_another_agent_is_stale_found_unless_takeover_is_asked()
    {
        var store = await StoreWithAgentsAsync();
        var old = await store.ReserveAsync(Request(AgentA, "src/auth", TimeSpan.FromMinutes(5)));
        await AdvanceAsync(TimeSpan.FromMinutes(6));

        var refused = await store.TryReserveAsync(Request(AgentB, "src/auth/login.cs"));
        Assert.Equal(ErrorCode.ReservationStaleFound, refused.Error?.Code);

        await using var taken = await store.ReserveAsync(Request(AgentB, "src/auth/login.cs") with { TakeoverStale = true });
        Assert.Equal(AgentB, taken.Reservation.AgentId);
        Assert.True(taken.FencingToken > old.FencingToken);

        var status = await store.GetStatusAsync();
        Assert.Equal([taken.Reservation.Id], status.Reservations.Select(r => r.Id));
        Assert.Equal(1, status.Summary.Expired);
        await old.DisposeAsync();
    }

    [Fact]
    public async Task Live_conflict_wins_over_takeover()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src"));
        var result = await store.TryReserveAsync(Request(AgentB, "src") with { TakeoverStale = true });
        Assert.Equal(ErrorCode.ReservationConflict, result.Error?.Code);
    }

    [Fact]
    public async Task Release_is_for_the_owner_only()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src/auth"));

        var forbidden = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReleaseAsync(AgentB, ScopePattern.Parse("src/auth")));
        Assert.Equal(ErrorCode.ReleaseForbidden, forbidden.Code);

        var released = await store.ReleaseAsync(AgentA, ScopePattern.Parse("src/auth"));
        Assert.Equal(ReservationState.Released, released.State);
        Assert.NotNull(released.ReleasedAt);
        Assert.Equal(held.Reservation.Id, released.Id);

        var again = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReleaseAsync(AgentA, ScopePattern.Parse("src/auth")));
        Assert.Equal(ErrorCode.ReservationNotFound, again.Code);
    }

    [Fact]
    public async Task Release_and_renew_by_an_unknown_agent_is_agent_not_found()
    {
        var store = await StoreWithAgentsAsync();
        var stranger = AgentId.Parse("stranger");
        Assert.Equal(ErrorCode.AgentNotFound, (await Assert.ThrowsAsync<AgentLocksException>(() => store.ReleaseAsync(stranger, ScopePattern.Parse("src")))).Code);
        Assert.Equal(ErrorCode.AgentNotFound, (await Assert.ThrowsAsync<AgentLocksException>(() => store.RenewAsync(stranger, ScopePattern.Parse("src")))).Code);
    }

    [Fact]
    public async Task Renew_extends_for_the_owner_only()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src"));
        await AdvanceAsync(TimeSpan.FromMinutes(20));

        var renewed = await store.RenewAsync(AgentA, ScopePattern.Parse("src"), TimeSpan.FromMinutes(60));
        Assert.Equal(held.Reservation.CreatedAt + TimeSpan.FromMinutes(80), renewed.ExpiresAt);
        Assert.Equal(held.Reservation.Id, renewed.Id);

        var forbidden = await Assert.ThrowsAsync<AgentLocksException>(() => store.RenewAsync(AgentB, ScopePattern.Parse("src")));
        Assert.Equal(ErrorCode.ReleaseForbidden, forbidden.Code);
        var badTtl = await Assert.ThrowsAsync<AgentLocksException>(() => store.RenewAsync(AgentA, ScopePattern.Parse("src"), TimeSpan.FromMinutes(2)));
        Assert.Equal(ErrorCode.InvalidArgs, badTtl.Code);
    }

    [Fact]
    public async Task An_expired_reservation_cannot_be_renewed()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(5)));
        await AdvanceAsync(TimeSpan.FromMinutes(5));
        var gone = await Assert.ThrowsAsync<AgentLocksException>(() => store.RenewAsync(AgentA, ScopePattern.Parse("src")));
        Assert.Equal(ErrorCode.ReservationNotFound, gone.Code);
    }

    [Fact]
    public async Task Status_sweeps_expired_reservations_and_counts_released_and_expired()
    {
        var store = await StoreWithAgentsAsync();
        await using var kept = await store.ReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(60)));
        await using var released = await store.ReserveAsync(Request(AgentB, "docs"));
        await released.DisposeAsync();
        await using var expiring = await store.ReserveAsync(Request(AgentB, "tests", TimeSpan.FromMinutes(5)));
        await AdvanceAsync(TimeSpan.FromMinutes(5));

        var status = await store.GetStatusAsync();
        Assert.Equal([kept.Reservation.Id], status.Reservations.Select(r => r.Id));
        Assert.Equal(new StatusSummary(1, 1, 1, 1), status.Summary); // the swept holder's notice awaits its acknowledgement

        // The sweep happened once: a second status still counts it (and its notice) once.
        Assert.Equal(new StatusSummary(1, 1, 1, 1), (await store.GetStatusAsync()).Summary);
    }

    [Fact]
    public async Task Status_filters_by_bead_and_agent()
    {
        var store = await StoreWithAgentsAsync();
        await using var a = await store.ReserveAsync(Request(AgentA, "src"));
        await using var b = await store.ReserveAsync(new ReservationRequest(AgentB, ScopePattern.Parse("docs"), BeadId.Parse("bb-102"), Ttl));

        Assert.Equal([AgentA], (await store.GetStatusAsync(new StatusQuery { Agent = AgentA })).Reservations.Select(r => r.AgentId));
        Assert.Equal([AgentB], (await store.GetStatusAsync(new StatusQuery { Bead = BeadId.Parse("bb-102") })).Reservations.Select(r => r.AgentId));
        Assert.Empty((await store.GetStatusAsync(new StatusQuery { Agent = AgentA, Bead = BeadId.Parse("bb-102") })).Reservations);
        var unknown = await Assert.ThrowsAsync<AgentLocksException>(() => store.GetStatusAsync(new StatusQuery { Agent = AgentId.Parse("stranger") }));
        Assert.Equal(ErrorCode.AgentNotFound, unknown.Code);
    }

    [Fact]
    public async Task Fencing_tokens_grow_with_every_grant()
    {
        var store = await StoreWithAgentsAsync();
        var tokens = new List<FencingToken>();
        for (var i = 0; i < 4; i++)
        {
            await using var held = await store.ReserveAsync(Request(i % 2 == 0 ? AgentA : AgentB, "src"));
            tokens.Add(held.FencingToken);
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [Fact]
    public async Task Disposing_a_handle_releases_once()
    {
        var store = await StoreWithAgentsAsync();
        var held = await store.ReserveAsync(Request(AgentA, "src"));
        await held.DisposeAsync();
        await using var next = await store.ReserveAsync(Request(AgentB, "src"));
        await held.DisposeAsync();

        var status = await store.GetStatusAsync();
        Assert.Equal([next.Reservation.Id], status.Reservations.Select(r => r.Id));
        Assert.Equal(1, status.Summary.Released);
    }

    [Fact]
    public async Task A_handle_that_lost_its_lease_cannot_touch_the_next_holder()
    {
        var store = await StoreWithAgentsAsync();
        var old = await store.ReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(5)));
        await AdvanceAsync(TimeSpan.FromMinutes(6));
        await using var next = await store.ReserveAsync(Request(AgentB, "src") with { TakeoverStale = true });

        var renew = await Assert.ThrowsAsync<AgentLocksException>(() => old.RenewAsync());
        Assert.Equal(ErrorCode.ReservationNotFound, renew.Code);
        Assert.True(old.HandleLost.IsCancellationRequested, "a lease taken over is lost");
        await old.DisposeAsync();

        var status = await store.GetStatusAsync();
        Assert.Equal([next.Reservation.Id], status.Reservations.Select(r => r.Id));
    }

    [Fact]
    public async Task Handle_renew_extends_the_lease()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src"));
        await AdvanceAsync(TimeSpan.FromMinutes(5));
        var renewed = await held.RenewAsync();
        Assert.Equal(held.Reservation.CreatedAt + TimeSpan.FromMinutes(35), renewed.ExpiresAt);
        Assert.Same(renewed, held.Reservation);
    }

    [Fact]
    public async Task HandleLost_fires_when_the_lease_expires()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(6)));
        for (var i = 0; i < 3; i++)
        {
            await AdvanceAsync(TimeSpan.FromMinutes(2));
            await held.LastMonitorTick;
        }

        await WaitLostAsync(held.HandleLost);
    }

    [Fact]
    public async Task HandleLost_stays_quiet_while_the_lease_is_live()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(6)));
        await AdvanceAsync(TimeSpan.FromMinutes(2));
        await held.LastMonitorTick;
        await AdvanceAsync(TimeSpan.FromMinutes(2));
        await held.LastMonitorTick;
        Assert.False(held.HandleLost.IsCancellationRequested);
    }

    [Fact]
    public async Task HandleLost_fires_when_the_reservation_is_released_behind_the_handle()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(6)));
        await store.ReleaseAsync(AgentA, ScopePattern.Parse("src"));
        await AdvanceAsync(TimeSpan.FromMinutes(2));
        await held.LastMonitorTick;
        await WaitLostAsync(held.HandleLost);
    }

    [Fact]
    public async Task Auto_renewal_keeps_the_lease_past_its_ttl()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(6)) with { AutoRenew = true });
        for (var i = 0; i < 6; i++)
        {
            await AdvanceAsync(TimeSpan.FromMinutes(2));
            await held.LastMonitorTick;
        }

        Assert.False(held.HandleLost.IsCancellationRequested);
        var status = await store.GetStatusAsync();
        var live = Assert.Single(status.Reservations);
        Assert.Equal(held.Reservation.Id, live.Id);
        Assert.True(live.ExpiresAt > held.Reservation.CreatedAt + TimeSpan.FromMinutes(12));
    }

    [Fact]
    public async Task Auto_renewal_renews_at_a_third_of_the_ttl()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src", TimeSpan.FromMinutes(6)) with { AutoRenew = true });
        var granted = held.Reservation;

        await AdvanceAsync(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        await held.LastMonitorTick;
        Assert.Equal(granted.ExpiresAt, Assert.Single((await store.GetStatusAsync()).Reservations).ExpiresAt);

        await AdvanceAsync(TimeSpan.FromSeconds(1));
        await held.LastMonitorTick;
        var renewed = Assert.Single((await store.GetStatusAsync()).Reservations);
        Assert.Equal(granted.CreatedAt + TimeSpan.FromMinutes(2 + 6), renewed.ExpiresAt);
        Assert.Equal(renewed.ExpiresAt, held.Reservation.ExpiresAt);
        Assert.Equal(granted.FencingToken, renewed.FencingToken);
    }

    [Fact]
    public async Task TryReserve_returns_the_code_instead_of_throwing()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src"));
        var result = await store.TryReserveAsync(Request(AgentB, "src"));
        Assert.False(result.Succeeded);
        Assert.Null(result.Handle);
        Assert.Equal(ErrorCode.ReservationConflict, result.Error.Code);
    }

    [Fact]
    public async Task ReserveAll_takes_every_scope_in_canonical_order()
    {
        var store = await StoreWithAgentsAsync();
        await using var all = await store.ReserveAllAsync([Request(AgentA, "src/b"), Request(AgentA, "docs"), Request(AgentA, "src/a")]);
        Assert.Equal(["docs", "src/a", "src/b"], all.Handles.Select(h => h.Reservation.Scope.Value));
        await all.DisposeAsync();
        Assert.Equal(0, (await store.GetStatusAsync()).Summary.Active);
    }

    [Fact]
    public async Task ReserveAll_is_all_or_nothing()
    {
        var store = await StoreWithAgentsAsync();
        await using var blocker = await store.ReserveAsync(Request(AgentB, "src/b"));

        var refused = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReserveAllAsync([Request(AgentA, "src/a"), Request(AgentA, "src/b"), Request(AgentA, "src/c")]));
        Assert.Equal(ErrorCode.ReservationConflict, refused.Code);

        var status = await store.GetStatusAsync(new StatusQuery { Agent = AgentA });
        Assert.Empty(status.Reservations);

        // Decided in one step: nothing was granted and given back, so nothing is in the history either.
        Assert.Equal(0, status.Summary.Released);
    }

    [Fact]
    public async Task ReserveAll_refuses_a_scope_asked_twice()
    {
        var store = await StoreWithAgentsAsync();
        var refused = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReserveAllAsync([Request(AgentA, "src"), Request(AgentA, "./src/")]));
        Assert.Equal(ErrorCode.InvalidArgs, refused.Code);
    }

    [Fact]
    public async Task Register_is_idempotent_and_keeps_the_first_registration_time()
    {
        var store = await CreateStoreAsync(ReservationPolicy.Default);
        var first = await store.RegisterAgentAsync(AgentA, new AgentRegistration("ui"));
        await AdvanceAsync(TimeSpan.FromMinutes(3));
        var again = await store.RegisterAgentAsync(AgentA);

        Assert.Equal("ui", again.Role);
        Assert.Equal("agent-a", again.DisplayName);
        Assert.Equal(first.CreatedAt, again.CreatedAt);
        Assert.Equal(first.LastSeenAt + TimeSpan.FromMinutes(3), again.LastSeenAt);
    }

    /// <summary>Waits for the lease monitor's verdict; the bound only turns a hang into a failure.</summary>
    private static async Task WaitLostAsync(CancellationToken lost)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lost.Register(signal.SetResult))
        {
            await signal.Task.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }
    }
}
