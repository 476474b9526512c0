using AgentLocks.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Extensions.Hosting.Tests;

public sealed class ServiceCollectionTests
{
    [Fact]
    public async Task The_file_store_comes_from_the_AgentLocks_section_and_runs_on_the_containers_clock()
    {
        using var root = new TempRoot();
        await using var services = TestHost.FileStore(root.Path);

        var store = Assert.IsType<FileReservationStore>(services.GetRequiredService<IReservationStore>());
        Assert.Equal(root.Path, store.Root);
        Assert.Same(store, services.GetRequiredService<IReservationStore>());

        var agent = AgentId.Parse("agent-a");
        await store.RegisterAgentAsync(agent);
        await using var held = await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("src/**"), BeadId.Parse("bb-1")));
        Assert.Equal(TestHost.Start, held.Reservation.CreatedAt);
    }

    [Fact]
    public void Code_applies_after_configuration()
    {
        using var configured = new TempRoot();
        using var coded = new TempRoot();
        using var services = TestHost.Build(
            new Dictionary<string, string?> { ["AgentLocks:FileStoreRoot"] = configured.Path, ["AgentLocks:LockTimeout"] = "00:00:03" },
            configure: o => o.UseFileStore(coded.Path));

        Assert.Equal(coded.Path, Assert.IsType<FileReservationStore>(services.GetRequiredService<IReservationStore>()).Root);
        Assert.Equal(TimeSpan.FromSeconds(3), services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AgentLocksOptions>>().Value.LockTimeout);
    }

    [Fact]
    public async Task The_policy_set_in_code_decides_the_TTLs_the_store_grants()
    {
        using var root = new TempRoot();
        var demo = new ReservationPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(1));
        await using var services = TestHost.Build(new Dictionary<string, string?>(), configure: o =>
        {
            o.UseFileStore(root.Path);
            o.Policy = demo;
        });
        var store = services.GetRequiredService<IReservationStore>();
        var agent = AgentId.Parse("agent-a");
        await store.RegisterAgentAsync(agent);

        // One minute is below the default policy's shortest lease (5 minutes), and the demo policy's default.
        await using var held = await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("src/**"), BeadId.Parse("bb-1")));

        Assert.Equal(TimeSpan.FromMinutes(1), held.Reservation.ExpiresAt - held.Reservation.CreatedAt);
    }

    [Fact]
    public async Task PostgreSQL_from_configuration_gives_the_PostgreSQL_store_and_identity_lock()
    {
        await using var services = TestHost.Build(new Dictionary<string, string?>
        {
            ["AgentLocks:PostgresConnectionString"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none",
            ["AgentLocks:PostgresSchema"] = "swarm_a",
        });

        Assert.IsType<PostgresReservationStore>(services.GetRequiredService<IReservationStore>());
        Assert.NotNull(services.GetRequiredService<PostgresWorkerIdentityLocks>());
        Assert.IsType<PostgresWorkerIdentityLock>(services.GetRequiredService<WorkerIdentityLockFactory>().ForWorker("polecat-1"));
    }

    [Theory]
    [InlineData(false, "has no store")]
    [InlineData(true, "has two stores")]
    public void No_store_or_two_is_an_error_naming_the_settings(bool both, string expected)
    {
        var configuration = new Dictionary<string, string?>();
        if (both)
        {
            configuration["AgentLocks:FileStoreRoot"] = "/tmp/x";
            configuration["AgentLocks:PostgresConnectionString"] = "Host=db";
        }

        using var services = TestHost.Build(configuration);
        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IReservationStore>());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("AgentLocks:FileStoreRoot", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_identity_lock_factory_uses_the_containers_clock()
    {
        using var root = new TempRoot();
        await using var services = TestHost.FileStore(root.Path);
        var worker = Path.Combine(root.Path, "workers", "alpha");
        Directory.CreateDirectory(worker);

        var identityLock = services.GetRequiredService<WorkerIdentityLockFactory>().ForWorker(worker);
        await using var handle = await identityLock.AcquireAsync();
        var info = (await identityLock.GetStatusAsync()).Holder;

        Assert.NotNull(info);
        Assert.Equal(TestHost.Start, info.AcquiredAt);
        Assert.IsType<FakeTimeProvider>(services.GetRequiredService<TimeProvider>());
        Assert.IsType<WorkerIdentityLock>(identityLock);
    }
}
