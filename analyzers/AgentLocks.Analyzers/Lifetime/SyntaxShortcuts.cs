using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace AgentLocks.Analyzers.Lifetime;

/// <summary>
/// The shapes most member bodies are written in, answered from syntax, so that the control-flow graph (the expensive
/// part of the lifetime rules) is built only for the bodies these answers do not settle. Each answer is one the flow
/// walk gives too; when a shape does not match, the walk decides.
/// </summary>
internal static class SyntaxShortcuts
{
    /// <summary>
    /// <c>var h = acquire;</c> (or <c>h = acquire;</c>), then nothing but <c>if (h is null) ...</c> guards that do not
    /// mention <c>h</c> again, then a <c>try</c> whose <c>finally</c> holds one of the releases: released on every path.
    /// </summary>
    public static bool ReleasedByTheNextTry(SyntaxNode value, ILocalSymbol local, List<IOperation> releases)
    {
        StatementSyntax? statement = value.Parent switch
        {
            EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax declaration } } } => declaration,
            AssignmentExpressionSyntax { Left: IdentifierNameSyntax, Parent: ExpressionStatementSyntax expression } assignment
                when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Right == value => expression,
            _ => null,
        };
        if (statement?.Parent is not BlockSyntax block)
        {
            return false;
        }

        for (var i = block.Statements.IndexOf(statement) + 1; i < block.Statements.Count; i++)
        {
            switch (block.Statements[i])
            {
                case IfStatementSyntax guard when guard.Else is null && IsNullTest(guard.Condition, local.Name) && !Mentions(guard.Statement, local.Name):
                    continue; // the handle is null on the guard's path
                case TryStatementSyntax { Finally: { } @finally }:
                    return releases.Any(release => @finally.Block.Span.Contains(release.Syntax.Span));
                default:
                    return false;
            }
        }

        return false;
    }

    /// <summary>
    /// No reference to the local can run after a release: every other reference comes before the first release, and
    /// no loop around a release inside <paramref name="body"/> (nor a <c>goto</c>) can run them again.
    /// </summary>
    public static bool NothingAfterRelease(SyntaxNode body, List<ILocalReferenceOperation> references, HashSet<SyntaxNode> releaseSyntax, List<IOperation> releases, bool hasGoto)
    {
        if (hasGoto)
        {
            return false;
        }

        var firstRelease = int.MaxValue;
        foreach (var release in releases)
        {
            for (var node = release.Syntax.Parent; node is not null && node != body; node = node.Parent)
            {
                if (IsLoop(node))
                {
                    return false;
                }
            }

            firstRelease = Math.Min(firstRelease, release.Syntax.SpanStart);
        }

        foreach (var reference in references)
        {
            if (!releaseSyntax.Contains(reference.Syntax) && reference.Syntax.Span.End > firstRelease)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLoop(SyntaxNode node) =>
        node is ForStatementSyntax or CommonForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax;

    private static bool IsNullTest(ExpressionSyntax condition, string name) => condition switch
    {
        ParenthesizedExpressionSyntax parenthesized => IsNullTest(parenthesized.Expression, name),
        IsPatternExpressionSyntax { Pattern: ConstantPatternSyntax constant } pattern => IsName(pattern.Expression, name) && constant.Expression.IsKind(SyntaxKind.NullLiteralExpression),
        BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.EqualsExpression) =>
            (IsName(binary.Left, name) && binary.Right.IsKind(SyntaxKind.NullLiteralExpression))
            || (IsName(binary.Right, name) && binary.Left.IsKind(SyntaxKind.NullLiteralExpression)),
        _ => false,
    };

    private static bool IsName(ExpressionSyntax expression, string name) =>
        expression is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == name;

    private static bool Mentions(SyntaxNode node, string name) =>
        node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(identifier => identifier.Identifier.ValueText == name);
}
