using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentLocks.Extensions.Hosting.Tests;

/// <summary>The store's health check through the container's HealthCheckService, against real stores and faults.</summary>
public sealed class HealthCheckTests
{
    [Fact]
    public async Task A_file_store_that_reads_is_healthy()
    {
        using var root = new TempRoot();
        await using var services = TestHost.FileStore(root.Path, s => s.AddHealthChecks().AddAgentLocks());
        await Reserve(services);

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Entries["agentlocks"].Status);
    }

    [Fact]
    public async Task A_damaged_file_store_is_unhealthy_and_names_the_file()
    {
        using var root = new TempRoot();
        await using var services = TestHost.FileStore(root.Path, s => s.AddHealthChecks().AddAgentLocks());
        await Reserve(services);
        var history = Path.Combine(root.Path, "reservations", "active.json");
        await File.WriteAllTextAsync(history, "[ truncated");

        var entry = (await services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["agentlocks"];

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("active.json", entry.Description, StringComparison.Ordinal);
        Assert.Equal("[ truncated", await File.ReadAllTextAsync(history));
    }

    [Fact]
    public async Task A_store_mutex_held_too_long_is_wedged()
    {
        using var root = new TempRoot();
        await using var services = TestHost.FileStore(root.Path, s => s.AddHealthChecks().AddAgentLocks());
        var mutex = Path.Combine(root.Path, "reservations", ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(mutex)!);

        // Held by a live process (pid 1, as beadboard writes it) for five minutes.
        await File.WriteAllTextAsync(mutex, "1\n");
        File.SetLastWriteTimeUtc(mutex, DateTime.UtcNow - TimeSpan.FromMinutes(5));
        var entry = (await services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["agentlocks"];

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("wedged", entry.Description, StringComparison.Ordinal);
        Assert.True(File.Exists(mutex));
    }

    [Fact]
    public async Task An_unreachable_PostgreSQL_server_is_unhealthy()
    {
        await using var services = TestHost.Build(
            new Dictionary<string, string?> { ["AgentLocks:PostgresConnectionString"] = $"Host=127.0.0.1;Port={ClosedPort()};Username=agents;Database=swarm;Timeout=2" },
            s => s.AddHealthChecks().AddAgentLocks(failureStatus: HealthStatus.Degraded));

        var entry = (await services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["agentlocks"];

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.StartsWith("The store cannot be read", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSQL_is_healthy_once_migrated_and_degraded_before()
    {
        await using var schema = new Postgres.Tests.TestSchema();
        await using var services = TestHost.Build(new Dictionary<string, string?>
        {
            ["AgentLocks:PostgresConnectionString"] = Postgres.Tests.PostgresTestServer.ConnectionString,
            ["AgentLocks:PostgresSchema"] = schema.Name,
        }, s => s.AddHealthChecks().AddAgentLocks());
        var health = services.GetRequiredService<HealthCheckService>();

        var before = (await health.CheckHealthAsync()).Entries["agentlocks"];
        await Reserve(services);
        var after = (await health.CheckHealthAsync()).Entries["agentlocks"];

        Assert.Equal(HealthStatus.Degraded, before.Status);
        Assert.Contains("version 0 of", before.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, after.Status);
    }

    private static async Task Reserve(IServiceProvider services)
    {
        var store = services.GetRequiredService<IReservationStore>();
        var agent = AgentId.Parse("agent-health");
        await store.RegisterAgentAsync(agent);
        await using var held = await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("src/**"), BeadId.Parse("bb-1")));
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
