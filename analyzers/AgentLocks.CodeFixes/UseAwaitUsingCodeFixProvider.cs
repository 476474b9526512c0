using System.Collections.Immutable;
using System.Composition;
using AgentLocks.Analyzers;
using AgentLocks.Analyzers.Lifetime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace AgentLocks.CodeFixes;

/// <summary>
/// AGL001/AGL002: declare the handle with <c>await using</c> (or <c>using</c> for a handle that can be released
/// synchronously, where the method is not async), optionally making the method async; explicit releases of the
/// handle that the <c>using</c> now performs are removed.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseAwaitUsingCodeFixProvider))]
[Shared]
public sealed class UseAwaitUsingCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of "Use 'await using'".</summary>
    public const string AwaitUsingKey = "AgentLocks.UseAwaitUsing";

    /// <summary>The equivalence key of "Use 'using'".</summary>
    public const string UsingKey = "AgentLocks.UseUsing";

    /// <summary>The equivalence key of "Use 'await using' and make the method async".</summary>
    public const string AwaitUsingMakeAsyncKey = "AgentLocks.UseAwaitUsingMakeAsync";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        [Descriptors.HandleNotReleased.Id, Descriptors.HandleDiscarded.Id];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax acquisition
                || Target.Find(acquisition) is not { } target)
            {
                continue;
            }

            var function = Functions.Enclosing(target.Statement);
            var handleType = model.GetTypeInfo(acquisition, context.CancellationToken).Type;
            var symbols = HandleSymbols.TryCreate(model.Compilation);
            if (Functions.IsAsync(function))
            {
                Register(context, diagnostic, "Use 'await using'", AwaitUsingKey, (d, ct) => Apply(d, target, awaitUsing: true, makeAsync: null, ct));
                continue;
            }

            if (handleType is not null && symbols?.IsSynchronouslyDisposable(handleType) == true)
            {
                Register(context, diagnostic, "Use 'using'", UsingKey, (d, ct) => Apply(d, target, awaitUsing: false, makeAsync: null, ct));
            }

            if (function is not null && Functions.CanMakeAsync(function, model, context.CancellationToken))
            {
                Register(
                    context,
                    diagnostic,
                    "Use 'await using' and make the method async",
                    AwaitUsingMakeAsyncKey,
                    (d, ct) => Apply(d, target, awaitUsing: true, makeAsync: function, ct));
            }
        }
    }

    private static void Register(CodeFixContext context, Diagnostic diagnostic, string title, string key, Func<Document, CancellationToken, Task<Document>> apply) =>
        context.RegisterCodeFix(CodeAction.Create(title, ct => apply(context.Document, ct), key), diagnostic);

    private static async Task<Document> Apply(Document document, Target target, bool awaitUsing, SyntaxNode? makeAsync, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var model = editor.SemanticModel;
        var declaration = target.Declaration ?? NewDeclaration(target, model);
        var leading = target.Statement.GetLeadingTrivia();
        var replacement = declaration.WithoutLeadingTrivia()
            .WithUsingKeyword(Token(SyntaxKind.UsingKeyword).WithTrailingTrivia(Space))
            .WithAwaitKeyword(awaitUsing ? Token(SyntaxKind.AwaitKeyword).WithTrailingTrivia(Space) : default)
            .WithLeadingTrivia(leading)
            .WithTrailingTrivia(target.Statement.GetTrailingTrivia());
        editor.ReplaceNode(target.Statement, replacement);

        if (target.Declaration is not null
            && model.GetDeclaredSymbol(target.Declaration.Declaration.Variables[0], cancellationToken) is ILocalSymbol local
            && Functions.Enclosing(target.Statement) is { } body)
        {
            foreach (var release in ExplicitReleases(body, local, model, cancellationToken))
            {
                editor.RemoveNode(release, HasComments(release) ? SyntaxRemoveOptions.KeepLeadingTrivia : SyntaxRemoveOptions.KeepNoTrivia);
            }
        }

        if (makeAsync is not null)
        {
            editor.ReplaceNode(makeAsync, (node, _) => Functions.MakeAsync(node));
        }

        return editor.GetChangedDocument();
    }

    /// <summary><c>await h.DisposeAsync();</c> and <c>h.Dispose();</c> statements outside <c>finally</c>: the using replaces them.</summary>
    private static IEnumerable<ExpressionStatementSyntax> ExplicitReleases(SyntaxNode body, ILocalSymbol local, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (var statement in body.DescendantNodes().OfType<ExpressionStatementSyntax>())
        {
            var expression = statement.Expression is AwaitExpressionSyntax awaited ? awaited.Expression : statement.Expression;
            if (expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } configure })
            {
                expression = configure.Expression;
            }

            if (expression is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0, Expression: MemberAccessExpressionSyntax member }
                && member.Name.Identifier.ValueText is "DisposeAsync" or "Dispose"
                && member.Expression is IdentifierNameSyntax
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(member.Expression, cancellationToken).Symbol, local)
                && statement.FirstAncestorOrSelf<FinallyClauseSyntax>() is null)
            {
                yield return statement;
            }
        }
    }

    private static bool HasComments(SyntaxNode node) =>
        node.GetLeadingTrivia().Any(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia));

    private static LocalDeclarationStatementSyntax NewDeclaration(Target target, SemanticModel model)
    {
        var name = "held";
        for (var i = 2; model.LookupSymbols(target.Statement.SpanStart, name: name).Length > 0; i++)
        {
            name = "held" + i;
        }

        return LocalDeclarationStatement(
            VariableDeclaration(
                IdentifierName(Identifier(TriviaList(), SyntaxKind.VarKeyword, "var", "var", TriviaList(Space))),
                SingletonSeparatedList(VariableDeclarator(Identifier(name)).WithInitializer(EqualsValueClause(target.Acquisition.WithoutTrivia())))));
    }

    /// <summary>The statement to rewrite: a local declaration of the handle, or a statement that discards it.</summary>
    private sealed class Target(StatementSyntax statement, LocalDeclarationStatementSyntax? declaration, ExpressionSyntax acquisition)
    {
        public StatementSyntax Statement { get; } = statement;

        public LocalDeclarationStatementSyntax? Declaration { get; } = declaration;

        public ExpressionSyntax Acquisition { get; } = acquisition;

        public static Target? Find(ExpressionSyntax acquisition)
        {
            SyntaxNode node = acquisition;
            while (node.Parent is ParenthesizedExpressionSyntax)
            {
                node = node.Parent;
            }

            switch (node.Parent)
            {
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax local } } }
                    when local.UsingKeyword.IsKind(SyntaxKind.None) && local.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax:
                    return new Target(local, local, acquisition);
                case ExpressionStatementSyntax statement:
                    return new Target(statement, null, acquisition);
                case AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" }, Parent: ExpressionStatementSyntax discard }:
                    return new Target(discard, null, acquisition);
                default:
                    return null;
            }
        }
    }
}
