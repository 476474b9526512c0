using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AgentLocks.Generators;

/// <summary>
/// Generates, for each partial class carrying <c>[AgentIdentity]</c>, <c>[WorkerIdentity]</c> or
/// <c>[ReservesScope]</c>, the typed <c>AgentId</c>/<c>WorkerId</c> properties, the nested <c>Scopes</c> class and
/// <c>ReserveScopesAsync</c>, plus one assembly-wide <c>AgentLocks.Generated.AgentLocksCatalog</c>.
/// </summary>
/// <remarks>Usage: reference the project with <c>OutputItemType="Analyzer" ReferenceOutputAssembly="false"</c>.</remarks>
[Generator(LanguageNames.CSharp)]
public sealed class AgentLocksGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var agents = context.SyntaxProvider
            .ForAttributeWithMetadataName("AgentLocks.AgentIdentityAttribute", IsType, FragmentReader.ReadAgent)
            .WithTrackingName(TrackingNames.AgentIdentity);
        var workers = context.SyntaxProvider
            .ForAttributeWithMetadataName("AgentLocks.WorkerIdentityAttribute", IsType, FragmentReader.ReadWorker)
            .WithTrackingName(TrackingNames.WorkerIdentity);
        var scopes = context.SyntaxProvider
            .ForAttributeWithMetadataName("AgentLocks.ReservesScopeAttribute", IsType, FragmentReader.ReadScopes)
            .WithTrackingName(TrackingNames.ReservesScope);

        var classes = agents.Collect()
            .Combine(workers.Collect())
            .Combine(scopes.Collect())
            .Select(static (all, _) => ClassMerger.Merge(all.Left.Left, all.Left.Right, all.Right))
            .WithTrackingName(TrackingNames.Classes);
        var perClass = classes
            .SelectMany(static (all, _) => all)
            .WithTrackingName(TrackingNames.Class);

        context.RegisterSourceOutput(perClass, static (output, model) =>
            output.AddSource(SourceEmitter.HintName(model.Type), SourceEmitter.EmitClass(model)));
        context.RegisterSourceOutput(classes, static (output, models) =>
        {
            if (models.Count > 0)
            {
                output.AddSource(SourceEmitter.CatalogHintName, SourceEmitter.EmitCatalog(models));
            }
        });
    }

    private static bool IsType(SyntaxNode node, System.Threading.CancellationToken ct) => node is TypeDeclarationSyntax;
}
