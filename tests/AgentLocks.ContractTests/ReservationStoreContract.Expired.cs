using Xunit;

namespace AgentLocks.ContractTests;

/// <summary>The expired listing every store has through the shared base (what <c>doctor</c> reads), and its sweep.</summary>
public abstract partial class ReservationStoreContract
{
    [Fact]
    public async Task Expired_lists_exactly_the_lapsed_reservations_and_changes_nothing()
    {
        var (store, lapsed, live) = await LapsedBesideLiveAsync();
        await using (live)
        {
            var expired = Assert.Single(await store.ExpiredAsync(sweep: false, CancellationToken.None));
            Assert.Equal(lapsed.Id, expired.Id);
            Assert.Equal(ReservationState.Active, expired.State);

            // Listed again, and still in the way of another agent: nothing was swept.
            Assert.Equal(expired.Id, Assert.Single(await store.ExpiredAsync(sweep: false, CancellationToken.None)).Id);
            var blocked = await store.TryReserveAsync(Request(AgentB, "src/auth/login.cs"));
            await using var unexpected = blocked.Handle; // released if the store wrongly granted it
            Assert.Equal(ErrorCode.ReservationStaleFound, blocked.Error?.Code);
        }
    }

    [Fact]
    public async Task Expired_with_sweep_moves_exactly_those_into_the_history_and_notices_their_holders()
    {
        var (store, lapsed, live) = await LapsedBesideLiveAsync();
        await using (live)
        {
            Assert.Equal(lapsed.Id, Assert.Single(await store.ExpiredAsync(sweep: true, CancellationToken.None)).Id);
            Assert.Empty(await store.ExpiredAsync(sweep: false, CancellationToken.None));

            // Gone from the active set into the history as expired; the live one stays; the holder has a notice.
            var status = await store.GetStatusAsync();
            Assert.Equal(live.Reservation.Id, Assert.Single(status.Reservations).Id);
            Assert.Equal(1, status.Summary.Expired);
            Assert.Contains("expired", Assert.Single((await store.GetStatusAsync(new StatusQuery { Agent = AgentA })).UnackedRequiredMessages).Subject, StringComparison.Ordinal);
            await using var next = await store.ReserveAsync(Request(AgentB, "src/auth/login.cs"));
            Assert.Equal(ReservationState.Active, next.Reservation.State);
        }
    }

    /// <summary>A store (which must derive from the shared base) where agent-a's lease of <c>src/auth</c> lapsed and agent-b holds <c>docs</c>.</summary>
    private async Task<(ReservationStore Store, Reservation Lapsed, ReservationHandle Live)> LapsedBesideLiveAsync()
    {
        var store = Assert.IsAssignableFrom<ReservationStore>(await StoreWithAgentsAsync());
        var lapsed = await store.ReserveAsync(Request(AgentA, "src/auth", TimeSpan.FromMinutes(5)));
        LeftHeld.OnPurpose(lapsed);
        var live = await store.ReserveAsync(Request(AgentB, "docs"));
        await AdvanceAsync(TimeSpan.FromMinutes(6));
        return (store, lapsed.Reservation, live);
    }
}
