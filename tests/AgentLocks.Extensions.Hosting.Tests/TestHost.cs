using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Extensions.Hosting.Tests;

/// <summary>A real container, configured as an application would be: configuration, a fake clock, fake logging.</summary>
internal static class TestHost
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static ServiceProvider Build(IDictionary<string, string?> configuration, Action<IServiceCollection>? more = null, Action<AgentLocksOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        services.AddFakeLogging();
        services.AddAgentLocks(configure);
        more?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static ServiceProvider FileStore(string root, Action<IServiceCollection>? more = null)
        => Build(new Dictionary<string, string?> { ["AgentLocks:FileStoreRoot"] = root }, more);
}

/// <summary>A store root of its own, deleted at the end.</summary>
internal sealed class TempRoot : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("agentlocks-hosting-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
