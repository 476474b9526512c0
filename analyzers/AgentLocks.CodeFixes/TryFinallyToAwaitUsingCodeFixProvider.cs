using System.Collections.Immutable;
using System.Composition;
using AgentLocks.Analyzers;
using AgentLocks.Analyzers.Lifetime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace AgentLocks.CodeFixes;

/// <summary>
/// AGL006: replaces <c>var h = ...; try { body } finally { await h.DisposeAsync(); }</c> with
/// <c>await using var h = ...; body</c> when the <c>try</c> ends its block, else with <c>await using (var h = ...) { body }</c>,
/// so the release still happens exactly where it did.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TryFinallyToAwaitUsingCodeFixProvider))]
[Shared]
public sealed class TryFinallyToAwaitUsingCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string Key = "AgentLocks.TryFinallyToAwaitUsing";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [Descriptors.ReleaseCanBeAwaitUsing.Id];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<TryStatementSyntax>() is { } tryStatement
                && ReleaseInFinallyAnalyzer.Match(tryStatement) is { } match)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(match.IsAsync ? "Use 'await using'" : "Use 'using'", _ => Task.FromResult(Apply(context.Document, root, match)), Key),
                    diagnostic);
            }
        }
    }

    private static Document Apply(Document document, SyntaxNode root, TryFinallyRelease match)
    {
        var block = (BlockSyntax)match.Try.Parent!;
        var statements = block.Statements;
        var at = statements.IndexOf(match.Declaration);
        var awaitKeyword = match.IsAsync ? Token(SyntaxKind.AwaitKeyword).WithTrailingTrivia(Space) : default;
        var usingKeyword = Token(SyntaxKind.UsingKeyword).WithTrailingTrivia(Space);
        var tryLeading = match.Try.GetLeadingTrivia().Where(t => !t.IsKind(SyntaxKind.WhitespaceTrivia));
        StatementSyntax[] replacement;
        if (ReferenceEquals(statements.Last(), match.Try))
        {
            var declaration = match.Declaration.WithoutLeadingTrivia()
                .WithAwaitKeyword(awaitKeyword)
                .WithUsingKeyword(usingKeyword)
                .WithLeadingTrivia(match.Declaration.GetLeadingTrivia());
            var body = match.Try.Block.Statements.Select(s => s.WithAdditionalAnnotations(Formatter.Annotation)).ToArray();
            if (body.Length > 0)
            {
                body[0] = body[0].WithLeadingTrivia(tryLeading.Concat(body[0].GetLeadingTrivia()));
            }

            replacement = [declaration, .. body];
        }
        else
        {
            // The try block keeps its place and indentation; the declaration's comments stay around the header, the
            // try's own comments move into the block (formatted there, so they take the block's indentation).
            var body = match.Try.Block;
            if (body.Statements.Count > 0 && tryLeading.Any())
            {
                var first = body.Statements[0];
                body = body.ReplaceNode(first, first.WithLeadingTrivia(tryLeading.Concat(first.GetLeadingTrivia())).WithAdditionalAnnotations(Formatter.Annotation));
            }

            replacement =
            [
                UsingStatement(match.Declaration.Declaration.WithoutTrivia(), null, body)
                    .WithAwaitKeyword(awaitKeyword)
                    .WithUsingKeyword(usingKeyword)
                    .WithCloseParenToken(Token(SyntaxKind.CloseParenToken).WithTrailingTrivia(match.Declaration.GetTrailingTrivia()))
                    .WithLeadingTrivia(match.Declaration.GetLeadingTrivia())
                    .WithTrailingTrivia(match.Try.GetTrailingTrivia()),
            ];
        }

        var newStatements = statements.Take(at).Concat(replacement).Concat(statements.Skip(at + 2));
        return document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(List(newStatements))));
    }
}
