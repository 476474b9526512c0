using Xunit;

namespace AgentLocks.ContractTests;

/// <summary>A reservation's free-text reason is kept as given, so people and other agents can read why a scope is held.</summary>
public abstract partial class ReservationStoreContract
{
    [Fact]
    public async Task A_reason_is_kept_through_status_renewal_and_refresh_and_is_absent_when_not_given()
    {
        var store = await StoreWithAgentsAsync();
        const string reason = "splitting the login flow: \"auth\" → 2 files";
        var granted = await store.ReserveAsync(Request(AgentA, "src/auth") with { Reason = reason });
        LeftHeld.OnPurpose(granted); // refreshed below, and released through the store at the end
        LeftHeld.OnPurpose(await store.ReserveAsync(Request(AgentB, "docs")));

        Assert.Equal(reason, granted.Reservation.Reason);
        var status = await store.GetStatusAsync();
        Assert.Equal(reason, status.Reservations.Single(r => r.AgentId == AgentA).Reason);
        Assert.Null(status.Reservations.Single(r => r.AgentId == AgentB).Reason);

        Assert.Equal(reason, (await store.RenewAsync(AgentA, ScopePattern.Parse("src/auth"), TimeSpan.FromMinutes(30))).Reason);
        LeftHeld.OnPurpose(await store.ReserveAsync(Request(AgentA, "src/auth")));
        Assert.Equal(reason, (await store.GetStatusAsync(new StatusQuery { Agent = AgentA })).Reservations.Single().Reason);
        LeftHeld.OnPurpose(await store.ReserveAsync(Request(AgentA, "src/auth") with { Reason = "a new reason" }));
        Assert.Equal("a new reason", (await store.GetStatusAsync(new StatusQuery { Agent = AgentA })).Reservations.Single().Reason);
        Assert.Equal("a new reason", (await store.ReleaseAsync(AgentA, ScopePattern.Parse("src/auth"))).Reason);
    }
}
