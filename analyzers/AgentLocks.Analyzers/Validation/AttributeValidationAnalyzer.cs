using System.Collections.Immutable;
using AgentLocks.Analyzers.Rules;
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
        Descriptors.DuplicateScopeName,
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
            var reservesScope = start.Compilation.GetTypeByMetadataName("AgentLocks.ReservesScopeAttribute");
            var agentIdentity = start.Compilation.GetTypeByMetadataName("AgentLocks.AgentIdentityAttribute");
            var workerIdentity = start.Compilation.GetTypeByMetadataName("AgentLocks.WorkerIdentityAttribute");
            if (reservesScope is not null)
            {
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
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in ours)
        {
            var text = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
            if (Is(attribute, agentIdentity) || Is(attribute, workerIdentity))
            {
                var (kind, typeName) = Is(attribute, agentIdentity) ? ("agent id", "AgentId") : ("worker id", "WorkerId");
                if (text is not null && IdRules.Explain(typeName, text) is { } identityError)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.InvalidIdentity, ArgumentLocation(attribute, null, context.CancellationToken), text, kind, identityError));
                }

                continue;
            }

            if (text is null)
            {
                continue;
            }

            if (ScopeRules.Normalize(text, out var normalized) is { } scopeError)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.InvalidScopePattern, ArgumentLocation(attribute, null, context.CancellationToken), text, scopeError));
                continue;
            }

            var named = attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value.Value, StringComparer.Ordinal);
            if (named.TryGetValue("TtlMinutes", out var ttl) && ttl is int minutes && minutes != 0 && minutes is < MinTtlMinutes or > MaxTtlMinutes)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.TtlOutOfRange, ArgumentLocation(attribute, "TtlMinutes", context.CancellationToken), minutes));
            }

            var memberName = named.TryGetValue("Name", out var given) && given is string explicitName ? explicitName : ScopeNames.MemberName(text);
            if (names.ContainsKey(memberName))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.DuplicateScopeName, AttributeLocation(attribute, context.CancellationToken), text, memberName, type.Name));
            }
            else
            {
                names[memberName] = text;
            }

            var exclusive = !named.TryGetValue("Mode", out var mode) || mode is 0;
            foreach (var earlier in scopes.Where(s => exclusive && s.Exclusive))
            {
                if (ScopeRules.Overlaps(earlier.Normalized, normalized!))
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
