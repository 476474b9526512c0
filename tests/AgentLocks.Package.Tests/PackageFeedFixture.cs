using System.Globalization;
using System.Reflection;

namespace AgentLocks.Package.Tests;

/// <summary>
/// Packs the four packages once into a local folder feed (in the test's configuration, built under the
/// temporary root: a pack with the test version rebuilds every project, and in the repository's own bin and obj
/// folders it would rewrite assemblies that the other test projects of a <c>dotnet test Sdk.sln</c> are reading), then
/// builds and runs a consumer that references them by <c>PackageReference</c>, and installs the tool from the feed.
/// Restores go through the feed plus the machine's normal NuGet sources, into a temporary packages folder
/// that falls back on the user's cache, so the user's cache never receives a test package.
/// </summary>
public sealed class PackageFeedFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "agentlocks-package-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A version no cache can hold already.</summary>
    public string Version { get; } = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);

    public string Feed => Path.Combine(Root, "feed");

    public ProcessResult ConsumerBuild { get; private set; } = null!;

    public ProcessResult ConsumerRun { get; private set; } = null!;

    public ProcessResult ToolInstall { get; private set; } = null!;

    /// <summary>The installed tool's <c>status --json</c> after it registered an agent and reserved <c>src/**</c> for it.</summary>
    public ProcessResult ToolStatus { get; private set; } = null!;

    public string PackageFile(string id, string extension = "nupkg") => Path.Combine(Feed, $"{id}.{Version}.{extension}");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        var repository = FindRepository();
        var configuration = typeof(PackageFeedFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Configuration").Value!;
        await File.WriteAllTextAsync(Path.Combine(Root, "NuGet.config"), NuGetConfig());

        // The tool as one framework-dependent package, as every platform without a native build gets it: its
        // per-runtime packages need a Native AOT publish (minutes), so docs/tool-package.sh packs and times those.
        foreach (var (project, extra) in new (string, string[])[]
        {
            ("src/AgentLocks", []), ("src/AgentLocks.Postgres", []), ("src/AgentLocks.Extensions.Hosting", []),
            ("src/AgentLocks.Cli", ["-p:ToolPackageRuntimeIdentifiers="]),
        })
        {
            var pack = await Dotnet.RunAsync(
                "dotnet",
                ["pack", Path.Combine(repository, project), "-c", configuration, "-o", Feed, $"-p:Version={Version}",
                 "-p:UseArtifactsOutput=true", $"-p:ArtifactsPath={Path.Combine(Root, "artifacts")}", .. extra],
                repository);
            Assert.True(pack.ExitCode == 0, $"dotnet pack {project} failed: {pack}");
        }

        var consumer = Path.Combine(Root, "consumer");
        Directory.CreateDirectory(consumer);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Consumer.csproj"), ConsumerProject.Csproj(Version));
        await File.WriteAllTextAsync(Path.Combine(consumer, "Program.cs"), ConsumerProject.Program);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Leak.cs"), ConsumerProject.Leak);
        ConsumerBuild = await Dotnet.RunAsync("dotnet", ["build", "-c", "Release"], consumer);
        ConsumerRun = ConsumerBuild.ExitCode == 0
            ? await Dotnet.RunAsync("dotnet", [Path.Combine(consumer, "bin", "Release", "net10.0", "Consumer.dll")], consumer,
                new Dictionary<string, string> { ["DEMO_ROOT"] = Path.Combine(Root, "demo") })
            : ConsumerBuild;

        var tools = Path.Combine(Root, "tools");
        ToolInstall = await Dotnet.RunAsync("dotnet", ["tool", "install", "AgentLocks.Tool", "--tool-path", tools, "--version", Version], Root);
        ToolStatus = ToolInstall.ExitCode == 0 ? await RunToolAsync(Path.Combine(tools, "agentlocks"), Path.Combine(Root, "coordination")) : ToolInstall;
    }

    /// <summary>Registers an agent and reserves a scope with the installed tool, then asks for the status; the first failure is the answer.</summary>
    private async Task<ProcessResult> RunToolAsync(string agentlocks, string root)
    {
        string[][] calls =
        [
            ["--root", root, "agent", "register", "--agent", "package-agent"],
            ["--root", root, "reserve", "--agent", "package-agent", "--scope", "src/**", "--bead", "bd-1", "--ttl", "30"],
            ["--json", "--root", root, "status"],
        ];
        ProcessResult result = null!;
        foreach (var call in calls)
        {
            result = await Dotnet.RunAsync(agentlocks, call, Root);
            if (result.ExitCode != 0)
            {
                break;
            }
        }

        return result;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }

    private string NuGetConfig()
    {
        var userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(Root, "packages")}" />
              </config>
              <fallbackPackageFolders>
                <add key="user" value="{userPackages}" />
              </fallbackPackageFolders>
              <packageSources>
                <add key="agentlocks-test-feed" value="{Feed}" />
              </packageSources>
            </configuration>
            """;
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sdk.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Sdk.sln not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class PackageFeedCollection : ICollectionFixture<PackageFeedFixture>
{
    public const string Name = "package feed";
}
