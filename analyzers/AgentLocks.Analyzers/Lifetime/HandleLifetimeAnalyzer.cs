using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace AgentLocks.Analyzers.Lifetime;

/// <summary>
/// AGL001 to AGL005: every handle an AgentLocks acquisition returns is released on every path, exactly once, and
/// asynchronously. Built on the operation tree (what happens to a handle) and the control-flow graph (whether a
/// release in a <c>finally</c> protects every path from the acquisition).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HandleLifetimeAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        Descriptors.HandleNotReleased,
        Descriptors.HandleDiscarded,
        Descriptors.AcquisitionNotAwaited,
        Descriptors.SynchronousDisposeInAsyncMethod,
        Descriptors.HandleUsedAfterRelease,
    ];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (HandleSymbols.TryCreate(start.Compilation) is { } symbols)
            {
                start.RegisterOperationBlockAction(block => new LifetimeWalk(symbols, block).Run());
            }
        });
    }
}
