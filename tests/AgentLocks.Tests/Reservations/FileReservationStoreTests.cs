using AgentLocks.ContractTests;
using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Tests.Reservations;

public sealed class FileReservationStoreTests : ReservationStoreContract, IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 19, 0, 0, TimeSpan.Zero));
    private readonly TempRoot _root = new();

    protected override Task<IReservationStore> CreateStoreAsync(ReservationPolicy policy)
        => Task.FromResult<IReservationStore>(new FileReservationStore(_root.Path, new ReservationStoreOptions { TimeProvider = _time, Policy = policy, Repository = Repository }));

    protected override Task AdvanceAsync(TimeSpan by)
    {
        _time.Advance(by);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_store_without_a_root_uses_the_one_recorded_by_the_first_store_that_had_one()
    {
        Repository = new RepositoryRoot(["/repo"]);
        await using var held = await (await StoreWithAgentsAsync()).ReserveAsync(Request(AgentA, "src/auth"));

        // A differing root is this store's own: /repo/src/auth is not src/auth under /other, and the record stays.
        Repository = new RepositoryRoot(["/other"]);
        var elsewhere = await (await CreateStoreAsync(ReservationPolicy.Default)).TryReserveAsync(Request(AgentB, "/repo/src/auth"));
        Assert.True(elsewhere.Succeeded, elsewhere.Error?.Message);
        await elsewhere.Handle.DisposeAsync();

        Repository = null;
        var refused = await (await CreateStoreAsync(ReservationPolicy.Default)).TryReserveAsync(Request(AgentB, "/repo/src/auth/login.cs"));
        await using var unexpected = refused.Handle; // released if the store wrongly granted it

        Assert.Equal(ErrorCode.ReservationConflict, refused.Error?.Code);
        Assert.Contains("\"repository\": \"/repo\"", File.ReadAllText(Path.Combine(_root.Path, "reservations", "agentlocks-repository.json")), StringComparison.Ordinal);
    }

    public void Dispose() => _root.Dispose();
}
