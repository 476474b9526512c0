using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Tests.Reservations;

/// <summary>
/// Waiters of one file store in different processes: each is woken by inotify when another process writes
/// <c>active.json</c>. The waiting side's clock never moves, so no timer can be what woke it.
/// </summary>
public sealed class ReservationCrossProcessWaitTests : IDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task A_waiter_is_woken_when_another_process_releases()
    {
        var store = new FileReservationStore(_root.Path, new ReservationStoreOptions { TimeProvider = new FakeTimeProvider(DateTimeOffset.UtcNow) });
        await store.RegisterAgentAsync(AgentId.Parse("taker-0"));
        await store.RegisterAgentAsync(AgentId.Parse("agent-b"));
        using var taker = ReservationTakerProcess.Start("serve", _root.Path, "taker-0", "src/auth/**", "bd-1");
        Assert.Equal("ready", await taker.ReadLineAsync());
        await taker.SendAsync("try 1");
        Assert.StartsWith("granted 1 ", await taker.ReadLineAsync(), StringComparison.Ordinal);

        var waiting = store.TryReserveAsync(new ReservationRequest(AgentId.Parse("agent-b"), ScopePattern.Parse("src/auth/login.cs"), BeadId.Parse("bd-2"))
        {
            Wait = Timeout.InfiniteTimeSpan,
        });
        Assert.False(waiting.IsCompleted);
        await taker.SendAsync("release");
        Assert.Equal("released", await taker.ReadLineAsync());

        var result = await waiting.WaitAsync(Hang);
        Assert.True(result.Succeeded, result.Error?.Message);
        await result.Handle.DisposeAsync();
    }

    [Fact]
    public async Task A_waiting_process_is_woken_when_this_process_releases()
    {
        var store = new FileReservationStore(_root.Path);
        await store.RegisterAgentAsync(AgentId.Parse("taker-0"));
        await store.RegisterAgentAsync(AgentId.Parse("agent-b"));
        var held = await store.ReserveAsync(new ReservationRequest(AgentId.Parse("agent-b"), ScopePattern.Parse("src/auth"), BeadId.Parse("bd-2")));
        using var taker = ReservationTakerProcess.Start("serve", _root.Path, "taker-0", "src/auth/**", "bd-1");
        Assert.Equal("ready", await taker.ReadLineAsync());

        await taker.SendAsync("wait 1");
        Assert.Equal("waiting", await taker.ReadLineAsync());
        await held.DisposeAsync();

        var reply = await taker.ReadLineAsync();
        Assert.StartsWith("granted 1 ", reply, StringComparison.Ordinal);
        Assert.True(long.Parse(reply.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture) > held.FencingToken.Value);
    }
}
