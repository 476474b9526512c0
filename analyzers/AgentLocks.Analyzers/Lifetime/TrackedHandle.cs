using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace AgentLocks.Analyzers.Lifetime;

/// <summary>
/// One acquired handle as the flow walk follows it: the acquisition, its value as stored or tested (the acquisition,
/// or the conversion, <c>?:</c> or <c>??</c> it flows through), and the locals that hold it (the local it is stored
/// in, or every local the patterns of an <c>is</c> or a <c>switch</c> bind it to). <c>carrier</c> is the property
/// the value holds the handle in (a <c>TryReserveAsync</c> result's <c>Handle</c>), null when the value is the handle.
/// </summary>
internal sealed class TrackedHandle(IOperation acquisition, IOperation value, IReadOnlyCollection<ILocalSymbol> locals, IPropertySymbol? carrier)
{
    public IOperation Acquisition { get; } = acquisition;

    /// <summary>
    /// A reference to one of the locals, or the value itself: the graph's copy of it, or the capture a <c>switch</c>
    /// tests, has the value's syntax.
    /// </summary>
    public bool Is(IOperation operation) => IsLocal(operation) || ReferenceEquals(operation.Syntax, value.Syntax);

    /// <summary>
    /// What <c>tested is pattern</c> says about the handle (see <see cref="OperationShapes.NullWhenMatched"/>): a
    /// local holds the handle itself, the value (also a local holding a result) may be a result carrying it.
    /// </summary>
    public bool? NullWhenMatched(IOperation tested, IPatternOperation pattern) =>
        !Is(tested) ? null : OperationShapes.NullWhenMatched(pattern, IsLocal(tested) ? null : carrier);

    private bool IsLocal(IOperation operation) =>
        OperationShapes.WithoutConversions(operation) is ILocalReferenceOperation reference && locals.Contains(reference.Local, SymbolEqualityComparer.Default);
}
