using System.Collections.Immutable;
using AgentLocks.Analyzers.Lifetime;
using AgentLocks.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace AgentLocks.Analyzers.Tests;

/// <summary>
/// Fix-all in each scope, driven as the IDE drives it: a solution of two projects with two documents each, every
/// document holding two diagnostics of each rule. Document scope fixes the whole trigger document and nothing else,
/// project scope the trigger's project, solution scope everything; comments survive in every case.
/// </summary>
public sealed class FixAllScopeTests
{
    private const string Methods = """
        public static class Work
        {
            public static void Use(ILockHandle handle) { }
        }

        public class C{0}
        {
            public async Task OneAsync(IReservationStore store, ReservationRequest request)
            {
                // first
                var held = await store.ReserveAsync(request); // keep me
                Work.Use(held);
            }

            public async Task TwoAsync(IReservationStore store, ReservationRequest request)
            {
                /* second */ var held = await store.ReserveAsync(request);
                try
                {
                    Work.Use(held);
                }
                finally
                {
                    await held.DisposeAsync();
                }
            }

            public async Task ThreeAsync(IReservationStore store, ReservationRequest request)
            {
                var held = await store.ReserveAsync(request);
                Work.Use(held);
            }

            public async Task FourAsync(IReservationStore store, ReservationRequest request)
            {
                var held = await store.ReserveAsync(request);
                try { Work.Use(held); } finally { await held.DisposeAsync(); }
            }
        }
        """;

    public static TheoryData<string, FixAllScope, string[]> Cases()
    {
        var data = new TheoryData<string, FixAllScope, string[]>();
        foreach (var fix in new[] { "AGL001", "AGL006" })
        {
            data.Add(fix, FixAllScope.Document, ["P1/D1"]);
            data.Add(fix, FixAllScope.Project, ["P1/D1", "P1/D2"]);
            data.Add(fix, FixAllScope.Solution, ["P1/D1", "P1/D2", "P2/D1", "P2/D2"]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Fix_all_changes_exactly_its_scope(string rule, FixAllScope scope, string[] changed)
    {
        var (analyzer, provider, key, fixedMarker) = rule == "AGL001"
            ? ((DiagnosticAnalyzer)new HandleLifetimeAnalyzer(), (CodeFixProvider)new UseAwaitUsingCodeFixProvider(), UseAwaitUsingCodeFixProvider.AwaitUsingKey, "// first\n        await using var held = await store.ReserveAsync(request); // keep me")
            : (new ReleaseInFinallyAnalyzer(), new TryFinallyToAwaitUsingCodeFixProvider(), TryFinallyToAwaitUsingCodeFixProvider.Key, "/* second */ await using var held = await store.ReserveAsync(request);\n        Work.Use(held);\n    }");
        var solution = CreateSolution();
        var diagnostics = new Diagnostics(analyzer);
        var trigger = Find(solution, "P1/D1");
        Assert.Equal(2, (await diagnostics.GetDocumentDiagnosticsAsync(trigger, default)).Count(d => d.Id == rule));

        var fixAll = provider.GetFixAllProvider()!;
        Assert.Contains(scope, fixAll.GetSupportedFixAllScopes());
        var context = new FixAllContext(trigger, provider, scope, key, [rule], diagnostics, CancellationToken.None);
        var action = await fixAll.GetFixAsync(context);
        Assert.NotNull(action);
        var applied = Assert.Single((await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>()).ChangedSolution;

        foreach (var name in new[] { "P1/D1", "P1/D2", "P2/D1", "P2/D2" })
        {
            var before = (await Find(solution, name).GetTextAsync()).ToString();
            var after = (await Find(applied, name).GetTextAsync()).ToString();
            if (!changed.Contains(name))
            {
                Assert.Equal(before, after);
                continue;
            }

            Assert.Contains(fixedMarker, Normalize(after), StringComparison.Ordinal);
            Assert.DoesNotContain(await diagnostics.GetDocumentDiagnosticsAsync(Find(applied, name), default), d => d.Id == rule);
            var compilation = await Find(applied, name).Project.GetCompilationAsync();
            Assert.Empty(compilation!.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        }
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static Document Find(Solution solution, string name) =>
        solution.Projects.Single(p => p.Name == name[..2]).Documents.Single(d => d.Name == name[3..] + ".cs");

    private static Solution CreateSolution()
    {
        var workspace = new AdhocWorkspace();
        var solution = workspace.CurrentSolution;
        foreach (var projectName in new[] { "P1", "P2" })
        {
            var id = ProjectId.CreateNewId(projectName);
            solution = solution.AddProject(ProjectInfo.Create(
                id,
                VersionStamp.Default,
                projectName,
                projectName,
                LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                metadataReferences: Verify.References));
            foreach (var documentName in new[] { "D1", "D2" })
            {
                // Each document declares its own class in its own namespace, so the two never clash.
                var source = Verify.Usings + $"namespace {projectName}{documentName};\n\n" + Methods.Replace("{0}", documentName, StringComparison.Ordinal);
                solution = solution.AddDocument(DocumentId.CreateNewId(id), documentName + ".cs", SourceText.From(source));
            }
        }

        return solution;
    }

    /// <summary>Answers fix-all's questions by running the analyzer on each project's compilation.</summary>
    private sealed class Diagnostics(DiagnosticAnalyzer analyzer) : FixAllContext.DiagnosticProvider
    {
        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            var tree = await document.GetSyntaxTreeAsync(cancellationToken);
            return (await GetAllDiagnosticsAsync(document.Project, cancellationToken)).Where(d => d.Location.SourceTree == tree);
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>()); // our rules report nothing without a location

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
        {
            var compilation = await project.GetCompilationAsync(cancellationToken);
            return await compilation!.WithAnalyzers(ImmutableArray.Create(analyzer)).GetAnalyzerDiagnosticsAsync(cancellationToken);
        }
    }
}
