using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using AgentLocks.Extensions.Hosting;
using AgentLocks.Generators;
using AgentLocks.Postgres;
using AgentLocks.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AgentLocks.Analyzers.Tests;

/// <summary>
/// <c>samples/</c> is the valid-code corpus: each sample project, compiled in memory with the generator, gets no
/// diagnostic from the compiler or from any of our rules, not even an info.
/// </summary>
public sealed class SamplesCorpusTests
{
    public static TheoryData<string> SampleProjects() => [.. ProjectPaths()];

    [Theory]
    [MemberData(nameof(SampleProjects))]
    public async Task Sample_has_no_diagnostics(string project)
    {
        var compilation = Compile(project, out var generated);
        Assert.Contains(generated, tree => tree.FilePath.EndsWith("AgentLocksCatalog.g.cs", StringComparison.Ordinal));

        var diagnostics = await compilation.WithAnalyzers([.. RuleDocumentationTests.Analyzers()]).GetAllDiagnosticsAsync();

        var problems = diagnostics.Where(d => d.Severity != DiagnosticSeverity.Hidden).ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task The_analyzers_do_report_on_a_sample_with_a_leak()
    {
        // Guards the test above: the same compilation, with one leaking method added, is reported there and only there.
        var project = ProjectPaths().First(p => p.Contains("AgentSwarm", StringComparison.Ordinal));
        var compilation = Compile(project, out _);
        var leak = CSharpSyntaxTree.ParseText(
            """
            internal static class LeakProbe
            {
                public static async Task LeakAsync(AgentLocks.IReservationStore store, AgentLocks.ReservationRequest request)
                {
                    var held = await store.ReserveAsync(request);
                    Console.WriteLine(held.FencingToken);
                }
            }
            """,
            (CSharpParseOptions)compilation.SyntaxTrees.First().Options,
            "LeakProbe.cs");

        var diagnostics = await compilation.AddSyntaxTrees(leak).WithAnalyzers([.. RuleDocumentationTests.Analyzers()]).GetAnalyzerDiagnosticsAsync();

        var reported = Assert.Single(diagnostics);
        Assert.Equal("AGL001", reported.Id);
        Assert.Equal("LeakProbe.cs", reported.Location.SourceTree?.FilePath);
    }

    private static IEnumerable<string> ProjectPaths() =>
        Directory.GetFiles(Path.Combine(RuleDocumentationTests.RepositoryRoot, "samples"), "*.csproj", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RuleDocumentationTests.RepositoryRoot, path));

    private static Compilation Compile(string project, out IReadOnlyList<SyntaxTree> generated)
    {
        var directory = Path.GetDirectoryName(Path.Combine(RuleDocumentationTests.RepositoryRoot, project))!;
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var sources = Directory.GetFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), parse, path))
            .Append(CSharpSyntaxTree.ParseText(SdkImplicitUsings.Source, parse, "ImplicitUsings.g.cs"))
            .ToList();
        Assert.True(sources.Count > 2, $"no sources under {directory}");

        var input = CSharpCompilation.Create(
            Path.GetFileNameWithoutExtension(project),
            sources,
            [.. Verify.References, .. SampleDependencies()],
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999)
                // The SDK's default NoWarn: Npgsql is built against an older System.Data.Common.
                .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));
        CSharpGeneratorDriver.Create([new AgentLocksGenerator().AsSourceGenerator(), .. FrameworkGenerators()], parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        generated = [.. output.SyntaxTrees.Except(input.SyntaxTrees)];
        return output;
    }

    /// <summary>
    /// The source generators the SDK adds to every project (the samples' <c>JsonSerializerContext</c> needs the JSON
    /// one), from the targeting pack of the running framework's major version.
    /// </summary>
    private static ImmutableArray<ISourceGenerator> FrameworkGenerators()
    {
        var dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var pack = Directory.GetDirectories(Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref"), $"{Environment.Version.Major}.*")
            .OrderBy(path => Version.Parse(Path.GetFileName(path).Split('-')[0]))
            .Last();
        var generator = Path.Combine(pack, "analyzers", "dotnet", "cs", "System.Text.Json.SourceGeneration.dll");
        return new AnalyzerFileReference(generator, DefaultLoader.Instance).GetGenerators(LanguageNames.CSharp);
    }

    private sealed class DefaultLoader : IAnalyzerAssemblyLoader
    {
        public static readonly DefaultLoader Instance = new();

        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => AssemblyLoadContext.Default.LoadFromAssemblyPath(fullPath);
    }

    /// <summary>
    /// What the samples build on beside the core library: the Postgres backend, the hosting package and the generic
    /// host, with the packages they load (Npgsql, Microsoft.Extensions.*), without the shared framework.
    /// </summary>
    private static IEnumerable<MetadataReference> SampleDependencies()
    {
        var framework = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<Assembly>([typeof(PostgresReservationStore).Assembly, typeof(AgentLocksOptions).Assembly, typeof(Microsoft.Extensions.Hosting.Host).Assembly]);
        while (pending.TryDequeue(out var assembly))
        {
            if (Path.GetDirectoryName(assembly.Location) == framework || assembly == typeof(ILockHandle).Assembly || !seen.Add(assembly.Location))
            {
                continue;
            }

            yield return MetadataReference.CreateFromFile(assembly.Location);
            foreach (var name in assembly.GetReferencedAssemblies())
            {
                pending.Enqueue(Assembly.Load(name));
            }
        }
    }
}
