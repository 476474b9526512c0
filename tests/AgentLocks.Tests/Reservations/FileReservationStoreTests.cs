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

    /// <summary>The store keeps an agent's parsed record while its file is unchanged; a record another writer changed or removed is read again.</summary>
    [Fact]
    public async Task An_agent_record_changed_or_removed_by_another_writer_is_what_the_next_call_sees()
    {
        var store = await StoreWithAgentsAsync();
        await (await store.ReserveAsync(Request(AgentA, "src/one"))).DisposeAsync();
        var record = Path.Combine(_root.Path, "agents", AgentA.Value + ".json");

        // beadboard's damage to the record: the next call refuses instead of using the record it read before.
        var intact = await File.ReadAllBytesAsync(record);
        await File.WriteAllTextAsync(record, "{\"agent_id\": ");
        var damaged = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReserveAsync(Request(AgentA, "src/two")));
        Assert.Equal(ErrorCode.StoreCorrupt, damaged.Code);

        await File.WriteAllBytesAsync(record, intact);
        await (await store.ReserveAsync(Request(AgentA, "src/three"))).DisposeAsync();

        File.Delete(record);
        var unknown = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReserveAsync(Request(AgentA, "src/four")));
        Assert.Equal(ErrorCode.AgentNotFound, unknown.Code);
    }

    public void Dispose() => _root.Dispose();
}
