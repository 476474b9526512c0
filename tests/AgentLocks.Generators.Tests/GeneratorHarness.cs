using System.Collections.Immutable;
using AgentLocks.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentLocks.Generators.Tests;

/// <summary>Builds in-memory compilations against the real runtime assembly and runs the generator on them.</summary>
internal static class GeneratorHarness
{
    /// <summary>
    /// The tests' own sources are short and undocumented; this per-file pragma keeps the missing-docs warning
    /// for generated files only, which must document every public member.
    /// </summary>
    private const string NoDocsRequired = "#pragma warning disable CS1591\n";

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
    {
        // The framework the tests run on, plus the runtime library: exactly what a user project compiles against.
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetDirectoryName(path) == frameworkDirectory);
        return [.. framework.Append(typeof(AgentId).Assembly.Location).Select(path => MetadataReference.CreateFromFile(path))];
    });

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static CSharpParseOptions ParseOptions(LanguageVersion version = LanguageVersion.Latest) =>
        new(version, DocumentationMode.Diagnose);

    /// <summary>A compilation as strict as the repository's build: nullable on, every warning wave, warnings as errors.</summary>
    public static CSharpCompilation Compile(IEnumerable<string> sources, OutputKind kind = OutputKind.DynamicallyLinkedLibrary, LanguageVersion version = LanguageVersion.Latest) =>
        CSharpCompilation.Create(
            "Subject" + Guid.NewGuid().ToString("N"),
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(NoDocsRequired + source, ParseOptions(version), path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(
                kind,
                nullableContextOptions: NullableContextOptions.Enable,
                generalDiagnosticOption: ReportDiagnostic.Error,
                warningLevel: 9999,
                deterministic: true));

    public static CSharpCompilation Compile(params string[] sources) => Compile((IEnumerable<string>)sources);

    public static GeneratorDriver CreateDriver(LanguageVersion version = LanguageVersion.Latest) =>
        CSharpGeneratorDriver.Create(
            [new AgentLocksGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions(version),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once and returns the compilation with the generated trees and the run result.</summary>
    public static (Compilation Output, GeneratorDriverRunResult Result) Run(params string[] sources)
    {
        var input = Compile(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out var output, out _);
        return (output, driver.GetRunResult());
    }

    /// <summary>The text of the generated file with <paramref name="hintName"/>.</summary>
    public static string Generated(this GeneratorDriverRunResult result, string hintName) =>
        result.Results.Single().GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

    /// <summary>Every diagnostic that is not hidden: the compiler's and the generator's.</summary>
    public static IReadOnlyList<Diagnostic> Problems(this Compilation compilation) =>
        [.. compilation.GetDiagnostics().Where(d => d.Severity != DiagnosticSeverity.Hidden)];
}
