using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace AgentLocks.Analyzers.Tests;

/// <summary>
/// Runs analyzers and fixes against the AgentLocks runtime with no network: the compilation references the
/// framework the tests run on (not a downloaded reference pack) plus the AgentLocks assembly.
/// </summary>
internal static class Verify
{
    /// <summary>Usings every test source gets, as a project with ImplicitUsings would.</summary>
    public const string Usings = "using System;\nusing System.Threading;\nusing System.Threading.Tasks;\nusing AgentLocks;\n";

    public static readonly ImmutableArray<MetadataReference> References = BuildReferences();

    public static async Task AnalyzerAsync<TAnalyzer>(string source, params DiagnosticResult[] expected)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new AnalyzerTest<TAnalyzer> { TestCode = Usings + source };
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    public static async Task CodeFixAsync<TAnalyzer, TFix>(string source, string fixedSource, int? actionIndex = null, string? equivalenceKey = null)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        var test = new FixTest<TAnalyzer, TFix>
        {
            TestCode = Usings + source,
            FixedCode = Usings + fixedSource,
            CodeActionIndex = actionIndex,
            CodeActionEquivalenceKey = equivalenceKey,
        };
        await test.RunAsync();
    }

    /// <summary>Fixes several documents at once, so fix-all in project and solution scope is exercised.</summary>
    public static async Task CodeFixAsync<TAnalyzer, TFix>(string[] sources, string[] fixedSources, string? equivalenceKey = null)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        var test = new FixTest<TAnalyzer, TFix> { CodeActionEquivalenceKey = equivalenceKey };
        test.TestState.Sources.AddRange(sources.Select((s, i) => ($"/0/Test{i}.cs", Microsoft.CodeAnalysis.Text.SourceText.From(Usings + s))));
        test.FixedState.Sources.AddRange(fixedSources.Select((s, i) => ($"/0/Test{i}.cs", Microsoft.CodeAnalysis.Text.SourceText.From(Usings + s))));
        await test.RunAsync();
    }

    public static DiagnosticResult Diagnostic(string id) => new(id, DiagnosticSeverity.Warning);

    private static ImmutableArray<MetadataReference> BuildReferences()
    {
        // The shared framework directory of the running test host: present on every machine that runs the tests.
        var framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return
        [
            .. trusted
                .Where(p => string.Equals(Path.GetDirectoryName(p), framework, StringComparison.Ordinal))
                .Where(p => !Path.GetFileName(p).StartsWith("Microsoft.VisualBasic", StringComparison.Ordinal))
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)),
            MetadataReference.CreateFromFile(typeof(ILockHandle).Assembly.Location),
        ];
    }

    private static void Configure(SolutionState state, List<Func<Solution, ProjectId, Solution>> transforms)
    {
        state.AdditionalReferences.AddRange(References);
        transforms.Add((solution, projectId) =>
        {
            var project = solution.GetProject(projectId)!;
            var options = ((CSharpCompilationOptions)project.CompilationOptions!)
                .WithNullableContextOptions(NullableContextOptions.Enable)
                .WithOutputKind(OutputKind.DynamicallyLinkedLibrary);
            return solution.WithProjectCompilationOptions(projectId, options)
                .WithProjectParseOptions(projectId, ((CSharpParseOptions)project.ParseOptions!).WithLanguageVersion(LanguageVersion.Latest));
        });
    }

    private sealed class AnalyzerTest<TAnalyzer> : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        public AnalyzerTest()
        {
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            Configure(TestState, SolutionTransforms);
        }
    }

    private sealed class FixTest<TAnalyzer, TFix> : CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        public FixTest()
        {
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            Configure(TestState, SolutionTransforms);
            FixedState.AdditionalReferences.AddRange(References);
            BatchFixedState.AdditionalReferences.AddRange(References);
        }
    }
}
