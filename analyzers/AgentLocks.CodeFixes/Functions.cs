using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace AgentLocks.CodeFixes;

/// <summary>The function a statement runs in, and turning a method or local function into an async one.</summary>
internal static class Functions
{
    /// <summary>The innermost method, local function, lambda or accessor; null for top-level statements.</summary>
    public static SyntaxNode? Enclosing(SyntaxNode node) =>
        node.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
            or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax);

    /// <summary>Top-level statements may always await.</summary>
    public static bool IsAsync(SyntaxNode? function) => function switch
    {
        null => true,
        MethodDeclarationSyntax method => method.Modifiers.Any(SyntaxKind.AsyncKeyword),
        LocalFunctionStatementSyntax local => local.Modifiers.Any(SyntaxKind.AsyncKeyword),
        AnonymousFunctionExpressionSyntax lambda => lambda.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword),
        _ => false,
    };

    /// <summary>
    /// A method or local function returning <c>void</c>, a non-task type, or a non-generic task whose returns carry
    /// no value: making it async keeps its body valid.
    /// </summary>
    public static bool CanMakeAsync(SyntaxNode function, SemanticModel model, CancellationToken cancellationToken)
    {
        var returnType = function switch
        {
            MethodDeclarationSyntax method => method.ReturnType,
            LocalFunctionStatementSyntax local => local.ReturnType,
            _ => null,
        };
        if (returnType is null || (function is MethodDeclarationSyntax m && m.ExpressionBody is not null)
            || (function is LocalFunctionStatementSyntax l && l.ExpressionBody is not null))
        {
            return false;
        }

        var type = model.GetTypeInfo(returnType, cancellationToken).Type;
        if (type is not INamedTypeSymbol named || named.ContainingNamespace?.ToDisplayString() != "System.Threading.Tasks")
        {
            return true; // void or T: async Task / async Task<T>
        }

        return !named.IsGenericType && !function.DescendantNodes(n => n == function || n is not (LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax))
            .OfType<ReturnStatementSyntax>().Any(r => r.Expression is not null);
    }

    public static SyntaxNode MakeAsync(SyntaxNode function)
    {
        var (modifiers, returnType) = function switch
        {
            MethodDeclarationSyntax method => (method.Modifiers, method.ReturnType),
            LocalFunctionStatementSyntax local => (local.Modifiers, local.ReturnType),
            _ => throw new ArgumentException("Only methods and local functions can be made async.", nameof(function)),
        };

        var newReturnType = TaskOf(returnType);
        var asyncKeyword = Token(SyntaxKind.AsyncKeyword).WithTrailingTrivia(Space);
        if (modifiers.Count == 0)
        {
            asyncKeyword = asyncKeyword.WithLeadingTrivia(returnType.GetLeadingTrivia());
            newReturnType = newReturnType.WithoutLeadingTrivia();
        }

        var newModifiers = modifiers.Add(asyncKeyword);
        return function switch
        {
            MethodDeclarationSyntax method => method.WithModifiers(newModifiers).WithReturnType(newReturnType),
            LocalFunctionStatementSyntax local => local.WithModifiers(newModifiers).WithReturnType(newReturnType),
            _ => function,
        };
    }

    private static TypeSyntax TaskOf(TypeSyntax returnType)
    {
        if (returnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword })
        {
            return Task().WithTriviaFrom(returnType);
        }

        var name = returnType.WithoutTrivia().ToString();
        if (name is "Task" or "ValueTask" || name.EndsWith(".Task", StringComparison.Ordinal) || name.EndsWith(".ValueTask", StringComparison.Ordinal))
        {
            return returnType;
        }

        return QualifiedName(
                ParseName("System.Threading.Tasks"),
                GenericName(Identifier("Task"), TypeArgumentList(SingletonSeparatedList(returnType.WithoutTrivia()))))
            .WithAdditionalAnnotations(Simplifier.Annotation)
            .WithTriviaFrom(returnType);
    }

    private static TypeSyntax Task() => ParseTypeName("System.Threading.Tasks.Task").WithAdditionalAnnotations(Simplifier.Annotation);
}
