using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AgentLocks.Analyzers.Lifetime;

/// <summary>What a constructor does with a handle passed to it.</summary>
internal enum Transfer
{
    /// <summary>Not kept: the argument is only used, the caller still owns the handle.</summary>
    NotKept,

    /// <summary>Kept in a member of an object that is not disposable: it goes where the object goes (a record, say).</summary>
    Kept,

    /// <summary>Kept in a member that the object's own <c>Dispose</c>/<c>DisposeAsync</c> releases: the object owns it.</summary>
    Released,

    /// <summary>Kept in a member of a disposable object whose <c>Dispose</c>/<c>DisposeAsync</c> never mentions it: leaked.</summary>
    NeverReleased,

    /// <summary>The constructor or the release is not in source (or chains to another constructor): not decided.</summary>
    Unknown,
}

/// <summary>
/// Follows a constructor argument into the members of the object, as IDisposableAnalyzers does when the constructor
/// is in source: the members assigned from the parameter (or, for a primary constructor or a record, the parameter
/// itself and the members it initialises), and whether the type's <c>Dispose</c>/<c>DisposeAsync</c> mentions them.
/// Reads syntax only, by name, so it needs no semantic model of the other file.
/// </summary>
internal static class ConstructorTransfer
{
    public static Transfer Of(IParameterSymbol parameter, HandleSymbols symbols, CancellationToken cancellationToken)
    {
        if (parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.Constructor, ContainingType: { } type })
        {
            return Transfer.NotKept;
        }

        var disposable = type.AllInterfaces.Any(i =>
            SymbolEqualityComparer.Default.Equals(i, symbols.AsyncDisposable) || SymbolEqualityComparer.Default.Equals(i, symbols.Disposable));
        if (type.DeclaringSyntaxReferences.IsEmpty)
        {
            return disposable ? Transfer.Unknown : Transfer.Kept;
        }

        var constructor = (IMethodSymbol)parameter.ContainingSymbol;
        var members = new HashSet<string>(StringComparer.Ordinal);
        var declaration = constructor.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).FirstOrDefault();
        if (declaration is ConstructorDeclarationSyntax body)
        {
            if (body.Initializer is not null)
            {
                return Transfer.Unknown;
            }

            foreach (var assignment in body.DescendantNodes().OfType<AssignmentExpressionSyntax>())
            {
                if (Mentions(assignment.Right, parameter.Name) && MemberName(assignment.Left) is { } member)
                {
                    members.Add(member);
                }
            }
        }
        else
        {
            // A primary constructor or a record's: the parameter is captured (or becomes a property) under its name,
            // and members may be initialised from it.
            members.Add(parameter.Name);
        }

        var typeDeclarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
        foreach (var initialized in typeDeclarations.SelectMany(t => t.Members))
        {
            switch (initialized)
            {
                case FieldDeclarationSyntax field:
                    members.UnionWith(field.Declaration.Variables.Where(v => v.Initializer is { } i && Mentions(i.Value, parameter.Name)).Select(v => v.Identifier.ValueText));
                    break;
                case PropertyDeclarationSyntax { Initializer: { } initializer } property when Mentions(initializer.Value, parameter.Name):
                    members.Add(property.Identifier.ValueText);
                    break;
            }
        }

        if (declaration is ConstructorDeclarationSyntax && members.Count == 0)
        {
            return Transfer.NotKept;
        }

        if (!disposable)
        {
            return Transfer.Kept;
        }

        var releases = typeDeclarations.SelectMany(t => t.Members).OfType<MethodDeclarationSyntax>()
            .Where(m => m.Identifier.ValueText is "Dispose" or "DisposeAsync" or "DisposeAsyncCore")
            .ToList();
        if (releases.Count == 0)
        {
            return Transfer.Unknown; // released by a base type, or by code this rule cannot see
        }

        return releases.Any(m => members.Any(member => Mentions(m, member))) ? Transfer.Released : Transfer.NeverReleased;
    }

    private static bool Mentions(SyntaxNode node, string name) =>
        node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(i => i.Identifier.ValueText == name);

    private static string? MemberName(ExpressionSyntax target) => target switch
    {
        IdentifierNameSyntax name => name.Identifier.ValueText,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => name.Identifier.ValueText,
        _ => null,
    };
}
