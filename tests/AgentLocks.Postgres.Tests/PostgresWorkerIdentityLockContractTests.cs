using AgentLocks.ContractTests;

namespace AgentLocks.Postgres.Tests;

/// <summary>The shared identity-lock contract against a real server: a fresh schema per test; a holder dies as its connection does.</summary>
public sealed class PostgresWorkerIdentityLockContractTests : WorkerIdentityLockContract, IAsyncLifetime, IAsyncDisposable
{
    private readonly TestSchema _schema = new();
    private readonly List<PostgresWorkerIdentityLocks> _locks = [];

    protected override string? Under => null;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await ((IAsyncDisposable)this).DisposeAsync();

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        foreach (var locks in _locks)
        {
            await locks.DisposeAsync();
        }

        await _schema.DisposeAsync();
    }

    protected override Task<IWorkerIdentityLocks> CreateLocksAsync()
    {
        var locks = new PostgresWorkerIdentityLocks(PostgresTestServer.ConnectionString, PostgresTestServer.Options(_schema.Name));
        _locks.Add(locks);
        return Task.FromResult<IWorkerIdentityLocks>(locks);
    }

    protected override string Worker(string name) => name;

    protected override async Task<WorkerLockHandle> AcquireThenLoseHolderAsync(IWorkerIdentityLock workerLock)
    {
        var held = await workerLock.AcquireAsync();
        Assert.Equal(true, await PostgresTestServer.ScalarAsync("SELECT pg_terminate_backend($1, 5000)", held.Info.BackendPid!.Value));
        await held.HandleLost.WhenCancelled().WaitAsync(TimeSpan.FromSeconds(30));
        return held;
    }
}
