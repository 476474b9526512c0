using System.Collections.Generic;
using System.Linq;
using System.Threading;
using AgentLocks.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AgentLocks.Generators;

/// <summary>
/// Turns one attributed partial declaration into a <see cref="ClassFragment"/> of strings. It returns null for
/// what it cannot use (a class or container that is not partial, a missing or non-constant argument, an unknown
/// mode, a negative TTL): the analyzers report those, the generator only stays out of the way.
/// </summary>
internal static class FragmentReader
{
    private static readonly SymbolDisplayFormat NameFormat = new(
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

    private static readonly SymbolDisplayFormat NamespaceFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

    private static readonly SymbolDisplayFormat DisplayFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters);

    public static ClassFragment? ReadAgent(GeneratorAttributeSyntaxContext context, CancellationToken ct) =>
        SingleString(context) is { } id && ReadType(context, ct) is { } type
            ? new ClassFragment(type, id, null, EquatableArray<DeclaredScope>.Empty)
            : null;

    public static ClassFragment? ReadWorker(GeneratorAttributeSyntaxContext context, CancellationToken ct) =>
        SingleString(context) is { } id && ReadType(context, ct) is { } type
            ? new ClassFragment(type, null, id, EquatableArray<DeclaredScope>.Empty)
            : null;

    public static ClassFragment? ReadScopes(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var scopes = new List<DeclaredScope>(context.Attributes.Length);
        foreach (var attribute in context.Attributes)
        {
            if (ReadScope(attribute) is { } scope)
            {
                scopes.Add(scope);
            }
        }

        return scopes.Count > 0 && ReadType(context, ct) is { } type
            ? new ClassFragment(type, null, null, new EquatableArray<DeclaredScope>([.. scopes]))
            : null;
    }

    private static string? SingleString(GeneratorAttributeSyntaxContext context) =>
        context.Attributes.FirstOrDefault() is { ConstructorArguments: [{ Value: string value }] } && value.Length > 0
            ? value
            : null;

    private static DeclaredScope? ReadScope(AttributeData attribute)
    {
        if (attribute.ConstructorArguments is not [{ Value: string pattern }] || pattern.Length == 0)
        {
            return null;
        }

        var mode = "Exclusive";
        var ttl = 0;
        string? name = null;
        foreach (var argument in attribute.NamedArguments)
        {
            switch (argument.Key)
            {
                case "Mode":
                    // Named from the enum itself, so a new ReservationMode member needs no generator change.
                    var member = argument.Value.Type?.GetMembers().OfType<IFieldSymbol>()
                        .FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, argument.Value.Value));
                    if (member is null)
                    {
                        return null;
                    }

                    mode = member.Name;
                    break;
                case "TtlMinutes" when argument.Value.Value is int minutes:
                    if (minutes < 0)
                    {
                        return null;
                    }

                    ttl = minutes;
                    break;
                case "Name":
                    name = argument.Value.Value as string;
                    break;
                default:
                    return null;
            }
        }

        return new DeclaredScope(pattern, mode, ttl, name);
    }

    private static TypeModel? ReadType(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        // Every declaration from the class up to the namespace must be partial, or the reopened type would not compile.
        for (var node = context.TargetNode; node is not null and not BaseNamespaceDeclarationSyntax and not CompilationUnitSyntax; node = node.Parent)
        {
            if (node is not TypeDeclarationSyntax declaration || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return null;
            }
        }

        ct.ThrowIfCancellationRequested();
        if (context.TargetSymbol is not INamedTypeSymbol { TypeKind: TypeKind.Class } symbol)
        {
            return null;
        }

        var chain = new List<INamedTypeSymbol>();
        for (var type = symbol; type is not null; type = type.ContainingType)
        {
            chain.Insert(0, type);
        }

        var ns = symbol.ContainingNamespace is { IsGlobalNamespace: false } containing ? containing : null;
        var metadataName = string.Join(".", chain.Select(t => t.MetadataName));
        return new TypeModel(
            ns?.ToDisplayString(NamespaceFormat) ?? string.Empty,
            new EquatableArray<TypeDeclarationModel>([.. chain.Select(t => new TypeDeclarationModel(Keyword(t), t.ToDisplayString(NameFormat)))]),
            ns is null ? metadataName : ns.ToDisplayString() + "." + metadataName,
            symbol.ToDisplayString(DisplayFormat));
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Interface } => "partial interface",
        { TypeKind: TypeKind.Struct, IsRecord: true } => (type.IsRefLikeType ? "ref " : string.Empty) + "partial record struct",
        { TypeKind: TypeKind.Struct } => (type.IsRefLikeType ? "ref " : string.Empty) + "partial struct",
        { IsRecord: true } => "partial record",
        _ => "partial class",
    };
}
