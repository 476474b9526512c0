using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AgentLocks.Analyzers.Tests;

/// <summary>Every rule has its page, its help link and its release-tracking line; every analyzer reports only known rules.</summary>
public sealed class RuleDocumentationTests
{
    internal static readonly string RepositoryRoot = FindRoot();

    public static TheoryData<string> RuleIds() => [.. AllDescriptors().Select(d => d.Id)];

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Every_rule_has_a_page_with_examples_and_a_help_link(string id)
    {
        var descriptor = AllDescriptors().Single(d => d.Id == id);
        Assert.Matches("^AGL[0-9]{3}$", id);
        Assert.Equal($"{Descriptors.RepositoryUrl}/blob/main/analyzers/docs/{id}.md", descriptor.HelpLinkUri);

        // The link resolves to a file of this repository, and that file is named after the rule.
        var linked = descriptor.HelpLinkUri[(Descriptors.RepositoryUrl + "/blob/main/").Length..];
        Assert.Equal(id + ".md", Path.GetFileName(linked));
        var pagePath = Path.Combine(RepositoryRoot, linked);
        Assert.True(File.Exists(pagePath), $"{id}: {descriptor.HelpLinkUri} points to {linked}, which does not exist");
        var page = File.ReadAllText(pagePath);
        Assert.StartsWith($"# {id}: {descriptor.Title}", page, StringComparison.Ordinal);
        foreach (var section in new[] { "## What", "## Why", "## Bad", "## Good", "## Suppress" })
        {
            Assert.Contains(section, page, StringComparison.Ordinal);
        }

        var index = File.ReadAllText(Path.Combine(RepositoryRoot, "analyzers", "docs", "README.md"));
        Assert.Contains($"[{id}]({id}.md)", index, StringComparison.Ordinal);

        var unshipped = File.ReadAllText(Path.Combine(RepositoryRoot, "analyzers", "AgentLocks.Analyzers", "AnalyzerReleases.Unshipped.md"));
        Assert.Contains($"{id} | {descriptor.Category} | {descriptor.DefaultSeverity} |", unshipped, StringComparison.Ordinal);
    }

    [Fact]
    public void The_help_links_use_the_repository_url_the_packages_carry()
    {
        // Directory.Build.props is the one place: the SDK puts RepositoryUrl in the package metadata and in the
        // analyzer assembly, where the help links are read from.
        var props = System.Xml.Linq.XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Build.props"));
        var declared = Assert.Single(props.Descendants("RepositoryUrl")).Value;
        Assert.StartsWith("https://", declared, StringComparison.Ordinal);
        Assert.Equal(declared.TrimEnd('/'), Descriptors.RepositoryUrl);
        Assert.All(AllDescriptors(), d => Assert.StartsWith(declared.TrimEnd('/') + "/", d.HelpLinkUri, StringComparison.Ordinal));
        Assert.DoesNotContain(
            Directory.GetFiles(Path.Combine(RepositoryRoot, "analyzers"), "*.cs", SearchOption.AllDirectories)
                .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)),
            path => File.ReadAllText(path).Contains(declared, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_analyzer_reports_only_documented_rules_and_every_rule_has_an_analyzer()
    {
        var documented = AllDescriptors().Select(d => d.Id).ToHashSet();
        var supported = Analyzers().SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToHashSet();
        Assert.Equal(documented.Order(), supported.Order());
    }

    [Fact]
    public void Every_page_belongs_to_a_rule()
    {
        var pages = Directory.GetFiles(Path.Combine(RepositoryRoot, "analyzers", "docs"), "AGL*.md").Select(Path.GetFileNameWithoutExtension);
        Assert.Equal(AllDescriptors().Select(d => d.Id).Order(), pages.Order());
    }

    internal static IEnumerable<DiagnosticAnalyzer> Analyzers() =>
        typeof(Descriptors).Assembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!);

    private static IEnumerable<DiagnosticDescriptor> AllDescriptors() =>
        typeof(Descriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sdk.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Sdk.sln not found above " + AppContext.BaseDirectory);
    }
}
