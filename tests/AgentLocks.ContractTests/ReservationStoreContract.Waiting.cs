using Xunit;

namespace AgentLocks.ContractTests;

/// <summary>
/// Waiting for a reservation (<see cref="ReservationRequest.Wait"/>), the same on every store. The store's clock is
/// never moved unless a test says so, so a waiter granted without it was woken by the store's own change signal.
/// </summary>
public abstract partial class ReservationStoreContract
{
    /// <summary>A third agent, for the arrival-order test.</summary>
    protected static readonly AgentId AgentC = AgentId.Parse("agent-c");

    /// <summary>The bound of every await on a waiter: only turns a hang into a failure.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_waiter_is_granted_when_the_holder_releases()
    {
        var store = await StoreWithAgentsAsync();
        var held = await store.ReserveAsync(Request(AgentA, "src/auth/**"));
        var waiting = store.TryReserveAsync(Request(AgentB, "src/auth/login.cs") with { Wait = Timeout.InfiniteTimeSpan });

        await held.DisposeAsync();
        var result = await waiting.WaitAsync(Hang);

        Assert.True(result.Succeeded, result.Error?.Message);
        await using var granted = result.Handle;
        Assert.Equal(AgentB, granted.Reservation.AgentId);
        Assert.True(granted.FencingToken.Value > held.FencingToken.Value);
    }

    [Fact]
    public async Task A_waiter_is_granted_when_the_conflicting_lease_lapses_and_takes_it_over()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "deploy:prod", TimeSpan.FromMinutes(10)));
        var waiting = store.ReserveAsync(Request(AgentB, "deploy:prod") with { Wait = TimeSpan.FromHours(1) });

        await AdvanceAsync(TimeSpan.FromMinutes(10));
        await using var granted = await waiting.WaitAsync(Hang);

        Assert.Equal(AgentB, granted.Reservation.AgentId);
        var status = await store.GetStatusAsync();
        Assert.Equal([AgentB], status.Reservations.Select(r => r.AgentId));
        Assert.Equal(1, status.Summary.Expired);
    }

    [Fact]
    public async Task A_waiter_that_runs_out_of_time_gets_the_conflict()
    {
        var store = await StoreWithAgentsAsync();
        await using var held = await store.ReserveAsync(Request(AgentA, "src"));
        var waiting = store.TryReserveAsync(Request(AgentB, "src/api") with { Wait = TimeSpan.FromMinutes(1) });
        Assert.False(waiting.IsCompleted);

        await AdvanceAsync(TimeSpan.FromMinutes(1));
        var result = await waiting.WaitAsync(Hang);

        Assert.Equal(ErrorCode.ReservationConflict, result.Error?.Code);
        Assert.Contains("agent-a", result.Error!.Message, StringComparison.Ordinal);
        var throwing = store.ReserveAsync(Request(AgentB, "src/api") with { Wait = TimeSpan.FromSeconds(1) });
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        var thrown = await Assert.ThrowsAsync<AgentLocksException>(() => throwing.WaitAsync(Hang));
        Assert.Equal(ErrorCode.ReservationConflict, thrown.Code);
    }

    [Fact]
    public async Task A_cancelled_waiter_ends_with_OperationCanceledException_and_holds_nothing()
    {
        var store = await StoreWithAgentsAsync();
        var held = await store.ReserveAsync(Request(AgentA, "src"));
        using var cancel = new CancellationTokenSource();
        var waiting = store.TryReserveAsync(Request(AgentB, "src") with { Wait = Timeout.InfiniteTimeSpan }, cancel.Token);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Hang));
        await held.DisposeAsync();

        Assert.Empty((await store.GetStatusAsync()).Reservations);
        await using var next = await store.ReserveAsync(Request(AgentA, "src") with { Wait = TimeSpan.FromMinutes(1) }).WaitAsync(Hang);
        Assert.Equal(AgentA, next.Reservation.AgentId);
    }

    [Fact]
    public async Task Waiters_are_served_in_arrival_order()
    {
        var store = await StoreWithAgentsAsync();
        await store.RegisterAgentAsync(AgentC);
        await using var x = await store.ReserveAsync(Request(AgentA, "src/x", TimeSpan.FromMinutes(10)));
        await using var y = await store.ReserveAsync(Request(AgentA, "src/y", TimeSpan.FromMinutes(20)));

        // B came first and needs both; C came second and needs only x, which lapses first. C must not pass B.
        var first = store.ReserveAsync(Request(AgentB, "src/**") with { Wait = Timeout.InfiniteTimeSpan });
        var second = store.ReserveAsync(Request(AgentC, "src/x") with { Wait = Timeout.InfiniteTimeSpan });
        await AdvanceAsync(TimeSpan.FromMinutes(10));
        await AdvanceAsync(TimeSpan.FromMinutes(10));

        var b = await first.WaitAsync(Hang);
        Assert.Equal(AgentB, b.Reservation.AgentId);
        Assert.False(second.IsCompleted);
        await b.DisposeAsync();
        await using var c = await second.WaitAsync(Hang);
        Assert.True(c.FencingToken.Value > b.FencingToken.Value);
    }

    [Fact]
    public async Task A_waiting_set_holds_nothing_until_it_gets_every_scope()
    {
        var store = await StoreWithAgentsAsync();
        var docs = await store.ReserveAsync(Request(AgentA, "docs"));
        var waiting = store.ReserveAllAsync([
            Request(AgentB, "src") with { Wait = Timeout.InfiniteTimeSpan },
            Request(AgentB, "docs") with { Wait = Timeout.InfiniteTimeSpan },
        ]);

        // While the set waits, nothing of it is held: another agent can take and give back its free scope.
        await (await store.ReserveAsync(Request(AgentA, "src"))).DisposeAsync();
        Assert.False(waiting.IsCompleted);
        await docs.DisposeAsync();

        await using var all = await waiting.WaitAsync(Hang);
        Assert.Equal(["docs", "src"], all.Handles.Select(h => h.Reservation.Scope.Value));
        Assert.All(all.Handles, h => Assert.Equal(AgentB, h.Reservation.AgentId));
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(-5000)]
    public async Task A_negative_wait_is_invalid_args(int milliseconds)
    {
        var store = await StoreWithAgentsAsync();
        var result = await store.TryReserveAsync(Request(AgentA, "src") with { Wait = TimeSpan.FromMilliseconds(milliseconds) });
        Assert.Equal(ErrorCode.InvalidArgs, result.Error?.Code);
    }
}
