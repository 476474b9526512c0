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

    public void Dispose() => _root.Dispose();
}
