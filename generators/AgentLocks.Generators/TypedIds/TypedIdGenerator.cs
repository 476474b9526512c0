using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AgentLocks.Generators.TypedIds;

/// <summary>
/// The AgentLocks library's own template for its typed IDs (<c>AgentId</c>, <c>ScopePattern</c>, ...): for each
/// <c>[TypedId]</c> partial struct it writes the members every ID shares (parsing, ordinal equality and ordering,
/// operators); the struct's own file keeps only what differs, its docs and its <c>Validate</c> rule (which may
/// rewrite the text to its canonical form), plus its
/// <c>[JsonConverter]</c>, which System.Text.Json's source generator must see in the hand-written source (generators
/// do not see each other's output). <c>TypedIdAttribute</c> is internal to the library, so user code never triggers it.
/// </summary>
/// <remarks>Usage: the library references this project with <c>OutputItemType="Analyzer"</c>.</remarks>
[Generator(LanguageNames.CSharp)]
public sealed class TypedIdGenerator : IIncrementalGenerator
{
    /// <summary>The attribute's metadata name.</summary>
    public const string AttributeName = "AgentLocks.TypedIdAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var ids = context.SyntaxProvider
            .ForAttributeWithMetadataName(AttributeName, static (node, _) => node is StructDeclarationSyntax, Read)
            .Where(static id => id is not null);

        context.RegisterSourceOutput(ids, static (output, id) =>
            output.AddSource(TypedIdEmitter.HintName(id!), TypedIdEmitter.Emit(id!)));
    }

    private static TypedIdModel? Read(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        // Top-level structs only: the library declares nothing else, and reopening containers is not worth the code.
        if (context.TargetSymbol is not INamedTypeSymbol { ContainingType: null } type)
        {
            return null;
        }

        string? example = null;
        string? kind = null;
        foreach (var argument in context.Attributes[0].NamedArguments)
        {
            _ = argument switch
            {
                { Key: "Example", Value.Value: string value } => example = value,
                { Key: "Kind", Value.Value: string value } => kind = value,
                _ => null,
            };
        }

        return example is null
            ? null
            : new TypedIdModel(type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(), type.Name, kind ?? KindName(type.Name), example);
    }

    /// <summary>The name in error messages: <c>ReservationId</c> becomes <c>reservation id</c>.</summary>
    internal static string KindName(string typeName)
    {
        var kind = new StringBuilder(typeName.Length + 2);
        foreach (var c in typeName)
        {
            if (char.IsUpper(c) && kind.Length > 0)
            {
                kind.Append(' ');
            }

            kind.Append(char.ToLowerInvariant(c));
        }

        return kind.ToString();
    }
}

/// <summary>One <c>[TypedId]</c> struct.</summary>
/// <param name="Namespace">The namespace, empty for the global namespace.</param>
/// <param name="Name">The struct's name.</param>
/// <param name="KindName">The name in error messages (<c>agent id</c>).</param>
/// <param name="Example">A valid ID for the usage examples in the docs.</param>
internal sealed record TypedIdModel(string Namespace, string Name, string KindName, string Example);
