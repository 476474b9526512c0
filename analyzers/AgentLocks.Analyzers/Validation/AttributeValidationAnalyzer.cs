using System.Collections.Immutable;
using AgentLocks.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AgentLocks.Analyzers.Validation;

/// <summary>
/// AGL010 to AGL015: what the generator needs from <c>[ReservesScope]</c>, <c>[AgentIdentity]</c> and
/// <c>[WorkerIdentity]</c>, checked with the runtime's rules so a class that compiles also starts.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AttributeValidationAnalyzer : DiagnosticAnalyzer
{
    private const int MinTtlMinutes = 5;
    private const int MaxTtlMinutes = 1440;

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        Descriptors.InvalidScopePattern,
        Descriptors.TtlOutOfRange,
        Descriptors.ClassNotPartial,
        Descriptors.ScopeMemberRenamed,
        Descriptors.OverlappingExclusiveScopes,
        Descriptors.InvalidIdentity,
    ];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var agentLocks = AgentLocksAssembly.Find(start.Compilation);
            if (agentLocks?.GetTypeByMetadataName("AgentLocks.ReservesScopeAttribute") is { } reservesScope)
            {
                var agentIdentity = agentLocks.GetTypeByMetadataName("AgentLocks.AgentIdentityAttribute");
                var workerIdentity = agentLocks.GetTypeByMetadataName("AgentLocks.WorkerIdentityAttribute");
                start.RegisterSymbolAction(symbol => Analyze(symbol, reservesScope, agentIdentity, workerIdentity), SymbolKind.NamedType);
            }
        });
    }

    private static void Analyze(SymbolAnalysisContext context, INamedTypeSymbol reservesScope, INamedTypeSymbol? agentIdentity, INamedTypeSymbol? workerIdentity)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var ours = type.GetAttributes()
            .Where(a => Is(a, reservesScope) || Is(a, agentIdentity) || Is(a, workerIdentity))
            .ToList();
        if (ours.Count == 0)
        {
            return;
        }

        if (!type.DeclaringSyntaxReferences.Any(r => r.GetSyntax(context.CancellationToken) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            var name = ours[0].AttributeClass!.Name;
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.ClassNotPartial, type.Locations[0], type.Name, name.Substring(0, name.Length - "Attribute".Length)));
        }

        var scopes = new List<(AttributeData Attribute, string Normalized, bool Exclusive)>();
        var named = new List<(AttributeData Attribute, string Pattern, string? Name)>();
        foreach (var attribute in ours)
        {
            var text = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
            if (Is(attribute, agentIdentity) || Is(attribute, workerIdentity))
            {
                var typeName = Is(attribute, agentIdentity) ? "AgentId" : "WorkerId";
                if (text is not null && TypedIdRules.TryExplain(typeName, text, out var kind, out var identityError))
                {
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.InvalidIdentity, ArgumentLocation(attribute, null, context.CancellationToken), text, kind, identityError));
                }

                continue;
            }

            if (string.IsNullOrEmpty(text))
            {
                if (text is not null)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.InvalidScopePattern, ArgumentLocation(attribute, null, context.CancellationToken), text, ScopeGlob.Normalize(text, out _)));
                }

                continue;
            }

            var arguments = attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value.Value, StringComparer.Ordinal);
            named.Add((attribute, text!, arguments.TryGetValue("Name", out var given) ? given as string : null));
            if (ScopeGlob.Normalize(text!, out var normalized) is { } scopeError)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.InvalidScopePattern, ArgumentLocation(attribute, null, context.CancellationToken), text, scopeError));
                continue;
            }

            if (arguments.TryGetValue("TtlMinutes", out var ttl) && ttl is int minutes && minutes != 0 && minutes is < MinTtlMinutes or > MaxTtlMinutes)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.TtlOutOfRange, ArgumentLocation(attribute, "TtlMinutes", context.CancellationToken), minutes));
            }

            var exclusive = !arguments.TryGetValue("Mode", out var mode) || mode is 0;
            foreach (var earlier in scopes.Where(s => exclusive && s.Exclusive))
            {
                if (ScopeGlob.Overlaps(earlier.Normalized, normalized!))
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.OverlappingExclusiveScopes,
                        AttributeLocation(attribute, context.CancellationToken),
                        earlier.Attribute.ConstructorArguments[0].Value,
                        text,
                        type.Name));
                    break;
                }
            }

            scopes.Add((attribute, normalized!, exclusive));
        }

        ReportRenamedMembers(context, type, named);
    }

    /// <summary>AGL013: the generator's own naming (the same code) gives a scope another member name than the one asked for.</summary>
    private static void ReportRenamedMembers(SymbolAnalysisContext context, INamedTypeSymbol type, List<(AttributeData Attribute, string Pattern, string? Name)> declared)
    {
        var names = ScopeMemberNaming.Assign([.. declared.Select(d => (d.Pattern, d.Name))]);
        for (var i = 0; i < declared.Count; i++)
        {
            var (attribute, pattern, name) = declared[i];
            if (names[i] is not { } generated)
            {
                continue; // the same pattern declared again: the first declaration's member serves both
            }

            generated = generated.TrimStart('@');
            var requested = ScopeMemberNaming.Requested(pattern, name);
            if (name is not null && name != requested)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.ScopeMemberRenamed, ArgumentLocation(attribute, "Name", context.CancellationToken), pattern, generated, name, "it is not a C# identifier"));
            }
            else if (generated != requested)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.ScopeMemberRenamed, AttributeLocation(attribute, context.CancellationToken), pattern, generated, requested, $"another scope of '{type.Name}' takes that name"));
            }
        }
    }

    private static bool Is(AttributeData attribute, INamedTypeSymbol? type) =>
        type is not null && SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, type);

    private static Location AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? Location.None;

    /// <summary>The constructor argument (<paramref name="name"/> null) or the named argument, else the whole attribute.</summary>
    private static Location ArgumentLocation(AttributeData attribute, string? name, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax { ArgumentList: { } list } syntax)
        {
            return AttributeLocation(attribute, cancellationToken);
        }

        var argument = name is null
            ? list.Arguments.FirstOrDefault(a => a.NameEquals is null)
            : list.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
        return (argument?.Expression ?? (SyntaxNode)syntax).GetLocation();
    }
}
