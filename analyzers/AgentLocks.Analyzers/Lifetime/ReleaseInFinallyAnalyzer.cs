using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AgentLocks.Analyzers.Lifetime;

/// <summary>
/// AGL006 (info): <c>var h = await acquire; try { ... } finally { await h.DisposeAsync(); }</c> says what
/// <c>await using</c> says, in more lines; the code fix rewrites it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReleaseInFinallyAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [Descriptors.ReleaseCanBeAwaitUsing];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (HandleSymbols.TryCreate(start.Compilation) is { } symbols)
            {
                start.RegisterSyntaxNodeAction(node => Analyze(node, symbols), SyntaxKind.TryStatement);
            }
        });
    }

    private static void Analyze(SyntaxNodeAnalysisContext context, HandleSymbols symbols)
    {
        if (Match((TryStatementSyntax)context.Node) is { } match
            && context.SemanticModel.GetDeclaredSymbol(match.Declaration.Declaration.Variables[0], context.CancellationToken) is ILocalSymbol local
            && symbols.IsHandle(local.Type))
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.ReleaseCanBeAwaitUsing, match.Try.Finally!.FinallyKeyword.GetLocation(), local.Name));
        }
    }

    /// <summary>
    /// A <c>try</c> without <c>catch</c> whose <c>finally</c> is one release of the local declared by the statement
    /// right before it. Shared with the code fix, so both agree on the shape.
    /// </summary>
    public static TryFinallyRelease? Match(TryStatementSyntax tryStatement)
    {
        if (tryStatement.Catches.Count != 0 || tryStatement.Finally?.Block.Statements is not [ExpressionStatementSyntax release]
            || tryStatement.Parent is not BlockSyntax block)
        {
            return null;
        }

        var index = block.Statements.IndexOf(tryStatement);
        if (index == 0 || block.Statements[index - 1] is not LocalDeclarationStatementSyntax
            {
                UsingKeyword.RawKind: (int)SyntaxKind.None,
                Declaration.Variables: [{ Initializer: not null } variable],
            } declaration)
        {
            return null;
        }

        var expression = release.Expression is AwaitExpressionSyntax awaited ? awaited.Expression : release.Expression;
        if (expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } configure })
        {
            expression = configure.Expression;
        }

        return expression is InvocationExpressionSyntax
        {
            ArgumentList.Arguments.Count: 0,
            Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax target, Name.Identifier.ValueText: "DisposeAsync" or "Dispose" } member,
        }
            && target.Identifier.ValueText == variable.Identifier.ValueText
            ? new TryFinallyRelease(declaration, tryStatement, member.Name.Identifier.ValueText == "DisposeAsync")
            : null;
    }
}

/// <summary>The declaration and the <c>try</c>/<c>finally</c> that only releases it.</summary>
public sealed class TryFinallyRelease
{
    internal TryFinallyRelease(LocalDeclarationStatementSyntax declaration, TryStatementSyntax tryStatement, bool isAsync)
    {
        Declaration = declaration;
        Try = tryStatement;
        IsAsync = isAsync;
    }

    /// <summary>The declaration of the handle.</summary>
    public LocalDeclarationStatementSyntax Declaration { get; }

    /// <summary>The <c>try</c> statement right after it.</summary>
    public TryStatementSyntax Try { get; }

    /// <summary>True when the <c>finally</c> awaits <c>DisposeAsync</c>.</summary>
    public bool IsAsync { get; }
}
