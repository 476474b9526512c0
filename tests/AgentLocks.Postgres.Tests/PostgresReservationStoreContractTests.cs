using AgentLocks.ContractTests;
using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// The shared contract against a real server. Time is the server's, pinned at the first store's creation and moved
/// by <see cref="AdvanceAsync"/> (the store's test-only offset), with a fake clock at the same instant for the lease monitors.
/// </summary>
public sealed class PostgresReservationStoreContractTests : ReservationStoreContract, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<(string Schema, PostgresReservationStore Store)> _stores = [];
    private DateTimeOffset? _pinned;
    private TimeSpan _offset;

    protected override async Task<IReservationStore> CreateStoreAsync(ReservationPolicy policy)
    {
        if (_pinned is null)
        {
            _pinned = new DateTimeOffset((DateTime)(await PostgresTestServer.ScalarAsync("SELECT now()"))!);
            _time.SetUtcNow(_pinned.Value);
        }

        var schema = PostgresTestServer.NewSchemaName();
        var store = new PostgresReservationStore(PostgresTestServer.DataSource, new PostgresStoreOptions { Schema = schema, TimeProvider = _time, Policy = policy, Repository = Repository });
        store.Persistence.Clock.Pinned = _pinned;
        store.Persistence.Clock.Offset = _offset;
        _stores.Add((schema, store));
        return store;
    }

    protected override Task AdvanceAsync(TimeSpan by)
    {
        _offset += by;
        foreach (var (_, store) in _stores)
        {
            store.Persistence.Clock.Offset = _offset;
        }

        _time.Advance(by);
        return Task.CompletedTask;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (schema, store) in _stores)
        {
            await store.DisposeAsync();
            await PostgresTestServer.DropSchemaAsync(schema);
        }
    }
}
