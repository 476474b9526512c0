using System.IO.Compression;
using System.Text.Json;
using System.Xml.Linq;

namespace AgentLocks.Package.Tests;

[Collection(PackageFeedCollection.Name)]
public sealed class PackageTests(PackageFeedFixture feed)
{
    [Theory]
    [InlineData("AgentLocks", new[]
    {
        "lib/net8.0/AgentLocks.dll", "lib/net8.0/AgentLocks.xml", "lib/net10.0/AgentLocks.dll", "lib/net10.0/AgentLocks.xml",
        "analyzers/dotnet/cs/AgentLocks.Generators.dll", "analyzers/dotnet/cs/AgentLocks.Analyzers.dll", "analyzers/dotnet/cs/AgentLocks.CodeFixes.dll",
    })]
    [InlineData("AgentLocks.Postgres", new[] { "lib/net8.0/AgentLocks.Postgres.dll", "lib/net10.0/AgentLocks.Postgres.xml" })]
    [InlineData("AgentLocks.Extensions.Hosting", new[] { "lib/net8.0/AgentLocks.Extensions.Hosting.dll", "lib/net10.0/AgentLocks.Extensions.Hosting.xml" })]
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

    [Theory]
    [InlineData("AgentLocks.Postgres", new[] { "AgentLocks" })]
    [InlineData("AgentLocks.Extensions.Hosting", new[] { "AgentLocks", "AgentLocks.Postgres" })]
    public void Each_package_depends_on_exactly_the_version_of_AgentLocks_it_was_built_with(string id, string[] ours)
    {
        // They compile against AgentLocks internals, so "this version or newer" would let NuGet pair them with a
        // newer AgentLocks whose internals differ (docs/architecture.md, the seam).
        using var package = ZipFile.OpenRead(feed.PackageFile(id));
        var dependencies = Nuspec(package).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Where(d => d.Attribute("id")!.Value.StartsWith("AgentLocks", StringComparison.Ordinal))
            .ToList();

        Assert.Equal(ours.Order(), dependencies.Select(d => d.Attribute("id")!.Value).Distinct().Order());
        Assert.All(dependencies, d => Assert.Equal($"[{feed.Version}]", d.Attribute("version")!.Value));
    }

    [Fact]
    public void The_acceptance_example_builds_from_the_packages_and_its_generated_members_run()
    {
        Assert.True(feed.ConsumerBuild.ExitCode == 0, feed.ConsumerBuild.ToString());
        Assert.True(feed.ConsumerRun.ExitCode == 0, feed.ConsumerRun.ToString());
        Assert.Contains("generated: auth-refactorer holds src/auth/** and docs/auth.md: 2 handles", feed.ConsumerRun.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"src/api/\*\* until \S+, token \d+", feed.ConsumerRun.Stdout);
    }

    [Fact]
    public void The_packaged_analyzer_warns_AGL001_on_the_leaking_handle_and_nowhere_else()
    {
        // Compiler diagnostics name a source file; restore's NU warnings do not.
        var warnings = feed.ConsumerBuild.Stdout.Split('\n')
            .Where(l => l.Contains(": warning ", StringComparison.Ordinal) && l.Contains(".cs(", StringComparison.Ordinal))
            .Distinct()
            .ToList();

        var warning = Assert.Single(warnings);
        Assert.Matches(@"Leak\.cs\(7,\d+\): warning AGL001", warning);
    }

    [Fact]
    public void The_installed_tool_reserves_and_reports_its_status_in_one_envelope()
    {
        Assert.True(feed.ToolInstall.ExitCode == 0, feed.ToolInstall.ToString());
        Assert.True(feed.ToolStatus.ExitCode == 0, feed.ToolStatus.ToString());
        using var envelope = JsonDocument.Parse(feed.ToolStatus.Stdout);
        var root = envelope.RootElement;

        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal("agent status", root.GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error").ValueKind);
        var reservation = Assert.Single(root.GetProperty("data").GetProperty("reservations").EnumerateArray());
        Assert.Equal(("src/**", "package-agent", "bd-1", "active"), (
            reservation.GetProperty("scope").GetString(), reservation.GetProperty("agent_id").GetString(),
            reservation.GetProperty("bead_id").GetString(), reservation.GetProperty("state").GetString()));
        Assert.Equal(1, root.GetProperty("data").GetProperty("summary").GetProperty("active").GetInt32());
    }

    private static XElement Nuspec(ZipArchive package)
    {
        using var stream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream).Root!;
    }

    private static string? Metadata(XElement nuspec, string name)
        => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
}
