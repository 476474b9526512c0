using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace AgentLocks.Analyzers.Validation;

/// <summary>AGL016: <c>AgentId.Parse("Bad Id")</c> and the other typed IDs' <c>Parse</c> on a constant that always throws.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LiteralValidationAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [Descriptors.InvalidLiteral];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationAction(Analyze, OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (method is not { Name: "Parse", IsStatic: true, Parameters.Length: 1 }
            || method.ContainingType.ContainingNamespace?.ToDisplayString() != "AgentLocks"
            || invocation.Arguments[0].Value.ConstantValue is not { HasValue: true, Value: string text })
        {
            return;
        }

        if (TypedIdRules.TryExplain(method.ContainingType.Name, text, out var kind, out var error))
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.InvalidLiteral, invocation.Arguments[0].Syntax.GetLocation(), text, kind, error));
        }
    }
}
