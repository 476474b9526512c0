using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AgentLocks.Analyzers.Tests;

/// <summary>A realistic valid file (the sdk.md example and the common patterns) gets no diagnostic from any rule.</summary>
public sealed class ValidCorpusTests
{
    private const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    [Fact]
    public async Task Valid_corpus_has_no_diagnostics()
    {
        var corpus = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Corpus", "ValidAgents.cs.txt"));
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Corpus",
            [CSharpSyntaxTree.ParseText(GlobalUsings, parse, "Usings.cs"), CSharpSyntaxTree.ParseText(corpus, parse, "ValidAgents.cs")],
            Verify.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var analyzers = RuleDocumentationTests.Analyzers().ToArray();
        Assert.Equal(4, analyzers.Length);
        var diagnostics = await compilation.WithAnalyzers([.. analyzers]).GetAllDiagnosticsAsync();

        Assert.Empty(diagnostics.Where(d => d.Severity != DiagnosticSeverity.Hidden).Select(d => d.ToString()));
    }

    [Fact]
    public async Task The_same_analyzers_do_report_on_a_broken_copy()
    {
        // Guards the test above: the analyzers are really running on the corpus.
        var corpus = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Corpus", "ValidAgents.cs.txt"));
        var broken = corpus.Replace("await using var one = ", "var one = ", StringComparison.Ordinal)
            .Replace("\"auth-refactorer\")]", "\"Auth\")]", StringComparison.Ordinal);
        var compilation = CSharpCompilation.Create(
            "Corpus",
            [CSharpSyntaxTree.ParseText(GlobalUsings), CSharpSyntaxTree.ParseText(broken)],
            Verify.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var diagnostics = await compilation.WithAnalyzers([.. RuleDocumentationTests.Analyzers()]).GetAnalyzerDiagnosticsAsync();
        Assert.Equal(["AGL001", "AGL015"], diagnostics.Select(d => d.Id).Order());
    }
}
