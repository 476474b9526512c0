using System.Diagnostics;

namespace AgentLocks.Tests.Reservations;

/// <summary>Real processes sharing one file store.</summary>
public sealed class ReservationCrossProcessTests : IDisposable
{
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Sixteen_processes_reserving_one_scope_exactly_one_wins_every_round()
    {
        const int Processes = 16;
        const int Rounds = 3;
        var setup = new FileReservationStore(_root.Path);
        var takers = new List<ReservationTakerProcess>();
        try
        {
            for (var i = 0; i < Processes; i++)
            {
                var agent = $"taker-{i}";
                await setup.RegisterAgentAsync(AgentId.Parse(agent));
                takers.Add(ReservationTakerProcess.Start("serve", _root.Path, agent, "src/auth/**", "bd-1"));
            }

            foreach (var taker in takers)
            {
                Assert.Equal("ready", await taker.ReadLineAsync());
            }

            var tokens = new List<long>();
            for (var round = 0; round < Rounds; round++)
            {
                await Task.WhenAll(takers.Select(t => t.SendAsync($"try {round}")));
                var replies = await Task.WhenAll(takers.Select(t => t.ReadLineAsync()));

                var winners = replies.Select((reply, index) => (reply, index)).Where(r => r.reply.StartsWith("granted ", StringComparison.Ordinal)).ToList();
                var winner = Assert.Single(winners);
                Assert.All(replies.Where(r => !r.StartsWith("granted ", StringComparison.Ordinal)), r => Assert.Equal($"refused {round} RESERVATION_CONFLICT", r));
                tokens.Add(long.Parse(winner.reply.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture));

                await takers[winner.index].SendAsync("release");
                Assert.Equal("released", await takers[winner.index].ReadLineAsync());
            }

            Assert.Equal(tokens.Order(), tokens);
            Assert.Equal(Rounds, tokens.Distinct().Count());
            Assert.Empty((await setup.GetStatusAsync()).Reservations);
        }
        finally
        {
            takers.ForEach(t => t.Dispose());
        }
    }

    [Fact]
    public async Task A_process_killed_while_holding_the_mutex_does_not_wedge_the_store()
    {
        var lockTimeout = TimeSpan.FromSeconds(60);
        var store = new FileReservationStore(_root.Path, new ReservationStoreOptions { LockTimeout = lockTimeout });
        using var holder = ReservationTakerProcess.Start("hold-mutex", _root.Path);
        Assert.Equal("in line 0", await holder.ReadLineAsync());
        Assert.Equal("holding", await holder.ReadLineAsync());

        // While it lives, the mutex is respected.
        var waiting = new FileReservationStore(_root.Path, new ReservationStoreOptions { LockTimeout = TimeSpan.FromMilliseconds(300) });
        var locked = await Assert.ThrowsAsync<AgentLocksException>(() => waiting.RegisterAgentAsync(AgentId.Parse("agent-a")));
        Assert.Equal(ErrorCode.Locked, locked.Code);

        await holder.KillAsync();
        Assert.True(File.Exists(_root.File("reservations", ".lock")), "kill -9 leaves the lock file behind");

        var watch = Stopwatch.StartNew();
        await store.RegisterAgentAsync(AgentId.Parse("agent-a"));
        await using var held = await store.ReserveAsync(new ReservationRequest(AgentId.Parse("agent-a"), ScopePattern.Parse("src"), BeadId.Parse("bd-1")));
        // Not waited out: well inside the timeout, however busy the machine.
        Assert.True(watch.Elapsed < lockTimeout / 2, $"took {watch.Elapsed}");
    }
}
