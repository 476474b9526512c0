using AgentLocks.ContractTests;
using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Tests.Reservations;

public sealed class InMemoryReservationStoreTests : ReservationStoreContract
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 19, 0, 0, TimeSpan.Zero));

    protected override Task<IReservationStore> CreateStoreAsync(ReservationPolicy policy)
        => Task.FromResult<IReservationStore>(new InMemoryReservationStore(new ReservationStoreOptions { TimeProvider = _time, Policy = policy, Repository = Repository }));

    protected override Task AdvanceAsync(TimeSpan by)
    {
        _time.Advance(by);
        return Task.CompletedTask;
    }
}
