using System.IO.Compression;
using System.Xml.Linq;

namespace AgentLocks.Package.Tests;

[Collection(PackageFeedCollection.Name)]
public sealed class PackageTests(PackageFeedFixture feed)
{
    [Theory]
    [InlineData("AgentLocks", new[] { "lib/net8.0/AgentLocks.dll", "lib/net8.0/AgentLocks.xml", "lib/net10.0/AgentLocks.dll", "lib/net10.0/AgentLocks.xml" })]
    [InlineData("AgentLocks.Postgres", new[] { "lib/net8.0/AgentLocks.Postgres.dll", "lib/net10.0/AgentLocks.Postgres.xml" })]
    [InlineData("AgentLocks.Tool", new[] { "tools/net10.0/any/AgentLocks.Cli.dll", "tools/net10.0/any/DotnetToolSettings.xml" })]
    public void Each_package_holds_its_assemblies_docs_readme_and_symbols(string id, string[] expected)
    {
        using var package = ZipFile.OpenRead(feed.PackageFile(id));
        var entries = package.Entries.Select(e => e.FullName).ToHashSet();

        Assert.All(expected.Append("PACKAGE.md"), path => Assert.Contains(path, entries));
        Assert.True(File.Exists(feed.PackageFile(id, "snupkg")), $"no symbol package for {id}");
        var nuspec = Nuspec(package);
        Assert.Equal("PACKAGE.md", Metadata(nuspec, "readme"));
        Assert.Equal("MIT", Metadata(nuspec, "license"));
        Assert.Null(Metadata(nuspec, "icon"));
    }

    [Fact]
    public void The_tool_package_installs_the_agentlocks_command()
    {
        using var package = ZipFile.OpenRead(feed.PackageFile("AgentLocks.Tool"));
        var settings = XDocument.Load(package.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());

        Assert.Equal("agentlocks", settings.Descendants("Command").Single().Attribute("Name")!.Value);
    }

    [Fact]
    public void The_postgres_package_depends_on_the_same_version_of_AgentLocks()
    {
        using var package = ZipFile.OpenRead(feed.PackageFile("AgentLocks.Postgres"));
        var dependencies = Nuspec(package).Descendants().Where(e => e.Name.LocalName == "dependency").ToList();

        Assert.Contains(dependencies, d => d.Attribute("id")!.Value == "AgentLocks" && d.Attribute("version")!.Value == feed.Version);
    }

    [Fact]
    public void A_consumer_builds_and_runs_from_the_packages()
    {
        Assert.True(feed.ConsumerBuild.ExitCode == 0, feed.ConsumerBuild.ToString());
        Assert.True(feed.ConsumerRun.ExitCode == 0, feed.ConsumerRun.ToString());
        Assert.Contains("overlaps: True", feed.ConsumerRun.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tool_installs_from_the_feed_and_runs()
    {
        Assert.True(feed.ToolInstall.ExitCode == 0, feed.ToolInstall.ToString());
        Assert.True(feed.ToolStatus.ExitCode is 0 or 2, feed.ToolStatus.ToString());
        Assert.StartsWith("{\"ok\":", feed.ToolStatus.Stdout, StringComparison.Ordinal);
    }

    private static XElement Nuspec(ZipArchive package)
    {
        using var stream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream).Root!;
    }

    private static string? Metadata(XElement nuspec, string name)
        => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
}
