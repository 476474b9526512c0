using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace AgentLocks.Analyzers.Lifetime;

/// <summary>Small questions about operation trees that the lifetime rules ask again and again.</summary>
internal static class OperationShapes
{
    /// <summary>
    /// The operation that consumes <paramref name="value"/>'s result, looking through conversions and the branches of
    /// <c>?:</c>, <c>??</c> and switch-expression arms (the value flows on unchanged). <paramref name="top"/> is the
    /// outermost pass-through.
    /// </summary>
    public static IOperation? Consumer(IOperation value, out IOperation top)
    {
        top = value;
        var parent = value.Parent;
        while (parent is not null && PassesOn(parent, top))
        {
            top = parent;
            parent = parent.Parent;
        }

        return parent;
    }

    private static bool PassesOn(IOperation parent, IOperation child) => parent switch
    {
        IConversionOperation or ICoalesceOperation => true,
        IConditionalOperation conditional => !ReferenceEquals(conditional.Condition, child),
        ISwitchExpressionArmOperation arm => ReferenceEquals(arm.Value, child),
        ISwitchExpressionOperation => child is ISwitchExpressionArmOperation,
        _ => false,
    };

    /// <summary>True when <paramref name="declarator"/> declares a <c>using</c> or <c>await using</c> resource.</summary>
    public static bool IsUsingResource(IVariableDeclaratorOperation declarator)
    {
        var group = declarator.Parent?.Parent;
        return group?.Parent is IUsingDeclarationOperation
            || (group?.Parent is IUsingOperation usingOperation && ReferenceEquals(usingOperation.Resources, group));
    }

    /// <summary>True when the value consumed by <paramref name="consumer"/> becomes a <c>using</c> resource.</summary>
    public static bool FlowsIntoUsing(IOperation consumer, IOperation top)
    {
        switch (consumer)
        {
            case IUsingOperation usingOperation:
                return ReferenceEquals(usingOperation.Resources, top);
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                return IsUsingResource(declarator);
            case IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configure:
                // await using var h = (await x).ConfigureAwait(false): the resource is the configured wrapper.
                var next = Consumer(configure, out var configuredTop);
                return next is not null && FlowsIntoUsing(next, configuredTop);
            case IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configureExtension }:
                var outer = Consumer(configureExtension, out var extensionTop);
                return outer is not null && FlowsIntoUsing(outer, extensionTop);
            default:
                return false;
        }
    }

    /// <summary>
    /// The locals the patterns testing <paramref name="top"/> bind it to: <c>is { } h</c>, the case labels of a
    /// <c>switch</c> statement and the arms of a switch expression on it (<c>case T h when ...:</c>,
    /// <c>x switch { { } h =&gt; ... }</c>). With <paramref name="carrier"/>, the value carries the handle in that
    /// property and the locals are those its subpattern binds (<c>is { Handle: { } h }</c>). Empty when
    /// <paramref name="consumer"/> is no pattern test of the value.
    /// </summary>
    public static List<ILocalSymbol> PatternBoundLocals(IOperation consumer, IOperation top, IPropertySymbol? carrier = null)
    {
        IEnumerable<IPatternOperation> patterns = consumer switch
        {
            IIsPatternOperation isPattern when ReferenceEquals(isPattern.Value, top) => [isPattern.Pattern],
            ISwitchOperation switchStatement when ReferenceEquals(switchStatement.Value, top) =>
                switchStatement.Cases.SelectMany(c => c.Clauses).OfType<IPatternCaseClauseOperation>().Select(c => c.Pattern),
            ISwitchExpressionOperation switchExpression when ReferenceEquals(switchExpression.Value, top) =>
                switchExpression.Arms.Select(a => a.Pattern),
            _ => [],
        };

        var locals = new List<ILocalSymbol>();
        foreach (var pattern in patterns)
        {
            if (BoundLocal(pattern, carrier) is { } local && !locals.Contains(local, SymbolEqualityComparer.Default))
            {
                locals.Add(local);
            }
        }

        return locals;
    }

    /// <summary>
    /// Whether the handle in a value that <paramref name="pattern"/> matches is null (true), the handle in a value it
    /// does not match is null or absent (false: the pattern takes every non-null handle, as <c>{ } h</c> and
    /// <c>T h</c> on a <c>T</c> do), or neither. With <paramref name="carrier"/>, the value carries the handle in that
    /// property: <c>{ Handle: { } h }</c> does not match a null result or a null handle.
    /// </summary>
    public static bool? NullWhenMatched(IPatternOperation pattern, IPropertySymbol? carrier) => pattern switch
    {
        INegatedPatternOperation not => !NullWhenMatched(not.Pattern, carrier),
        _ when carrier is null => NullWhenMatched(pattern),
        IRecursivePatternOperation recursive when Subpattern(recursive, carrier) is { } inner => NullWhenMatched(inner) switch
        {
            true => true,
            false when recursive.PropertySubpatterns.Count(s => !IsSucceeded(s)) == 1 && recursive.DeconstructionSubpatterns.IsEmpty
                && Covers(recursive.MatchedType, pattern.InputType) => false,
            _ => null, // other subpatterns also decide: a result that fails them may still hold a handle
        },
        _ => null,
    };

    /// <summary><c>Succeeded: true</c> beside <c>Handle: { } h</c> adds nothing: a result succeeded when it has a handle.</summary>
    private static bool IsSucceeded(IPropertySubpatternOperation subpattern) =>
        subpattern is { Member: IPropertyReferenceOperation { Property.Name: "Succeeded" }, Pattern: IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: true } } };

    private static bool? NullWhenMatched(IPatternOperation pattern) => pattern switch
    {
        INegatedPatternOperation not => !NullWhenMatched(not.Pattern),
        IConstantPatternOperation constant => IsNullConstant(constant.Value) ? true : null,
        IDeclarationPatternOperation { MatchesNull: true } or IDiscardPatternOperation => false,
        IDeclarationPatternOperation declaration => Covers(declaration.MatchedType, pattern.InputType) ? false : null,
        ITypePatternOperation type => Covers(type.MatchedType, pattern.InputType) ? false : null,
        IRecursivePatternOperation recursive => recursive.DeconstructionSubpatterns.IsEmpty && recursive.PropertySubpatterns.IsEmpty
            && Covers(recursive.MatchedType, pattern.InputType) ? false : null,
        _ => null,
    };

    public static bool IsNullConstant(IOperation operation) =>
        WithoutConversions(operation).ConstantValue is { HasValue: true, Value: null };

    public static IOperation WithoutConversions(IOperation operation) =>
        operation is IConversionOperation conversion ? WithoutConversions(conversion.Operand) : operation;

    /// <summary>True when every <paramref name="input"/> is a <paramref name="matched"/> (no type test: null).</summary>
    private static bool Covers(ITypeSymbol? matched, ITypeSymbol input) =>
        matched is null
        || SymbolEqualityComparer.Default.Equals(matched, input)
        || input.AllInterfaces.Contains(matched, SymbolEqualityComparer.Default)
        || BaseTypes(input).Contains(matched, SymbolEqualityComparer.Default);

    private static IEnumerable<ITypeSymbol> BaseTypes(ITypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            yield return current;
        }
    }

    /// <summary>
    /// The local a pattern binds the handle to (<c>is { } h</c>, <c>is T h</c>, <c>is not { } h</c>; with
    /// <paramref name="carrier"/>, <c>is { Handle: { } h }</c>, <c>case { Handle: var h }:</c>), or null.
    /// </summary>
    private static ILocalSymbol? BoundLocal(IPatternOperation pattern, IPropertySymbol? carrier)
    {
        pattern = WithoutNegations(pattern);
        if (carrier is not null)
        {
            if (pattern is not IRecursivePatternOperation recursive || Subpattern(recursive, carrier) is not { } inner)
            {
                return null;
            }

            pattern = WithoutNegations(inner);
        }

        return pattern switch
        {
            IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol local } => local,
            IRecursivePatternOperation { DeclaredSymbol: ILocalSymbol local } => local,
            _ => null,
        };
    }

    private static IPatternOperation WithoutNegations(IPatternOperation pattern) =>
        pattern is INegatedPatternOperation not ? WithoutNegations(not.Pattern) : pattern;

    /// <summary>The subpattern of <paramref name="carrier"/> in <c>{ Handle: p }</c>, or null.</summary>
    private static IPatternOperation? Subpattern(IRecursivePatternOperation pattern, IPropertySymbol carrier) =>
        pattern.PropertySubpatterns.FirstOrDefault(
            s => s.Member is IPropertyReferenceOperation member && SymbolEqualityComparer.Default.Equals(member.Property, carrier))?.Pattern;

    /// <summary>True for <c>h.DisposeAsync()</c>, <c>h.Dispose()</c> and <c>h?.DisposeAsync()</c> on the reference.</summary>
    public static bool IsRelease(ILocalReferenceOperation reference, out IOperation release)
    {
        release = reference;
        switch (reference.Parent)
        {
            case IInvocationOperation invocation when ReferenceEquals(invocation.Instance, reference) && IsDisposeMethod(invocation.TargetMethod):
                release = invocation;
                return true;
            case IConditionalAccessOperation access when ReferenceEquals(access.Operation, reference)
                && access.WhenNotNull is IInvocationOperation { Instance: IConditionalAccessInstanceOperation } invocation
                && IsDisposeMethod(invocation.TargetMethod):
                release = access;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// <c>list.Add(v)</c>, <c>stack.Push(v)</c>, <c>queue.Enqueue(v)</c>, <c>dictionary.Add(k, v)</c>, ...: the argument
    /// goes into a collection of handles.
    /// </summary>
    public static bool IsCollectionFill(IArgumentOperation argument, HandleSymbols symbols) =>
        argument.Parent is IInvocationOperation
        {
            TargetMethod.Name: "Add" or "TryAdd" or "Insert" or "Push" or "TryPush" or "Enqueue" or "AddFirst" or "AddLast" or "GetOrAdd",
            Instance: { } collection,
        }
        && symbols.IsHandleCollection(collection.Type);

    /// <summary>
    /// What takes the elements of the collection <paramref name="reference"/> reads: the body of the loop over it
    /// (<c>foreach (var h in held) ...</c>, <c>while (stack.TryPop(out var h)) ...</c>), or the statement that reads it
    /// (<c>await Task.WhenAll(held.Select(h =&gt; h.DisposeAsync().AsTask()));</c>). Null when it is read elsewhere in
    /// a loop (<c>held.Add(...)</c> in the body).
    /// </summary>
    public static IOperation? ElementsTakenBy(ILocalReferenceOperation reference)
    {
        for (var current = reference.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IForEachLoopOperation loop:
                    return loop.Collection.Syntax.Span.Contains(reference.Syntax.Span) ? loop.Body : null;
                case IWhileLoopOperation loop:
                    return loop.Condition?.Syntax.Span.Contains(reference.Syntax.Span) == true ? loop.Body : null;
                case IForLoopOperation loop:
                    return loop.Condition?.Syntax.Span.Contains(reference.Syntax.Span) == true ? loop.Body : null;
                case { Parent: IBlockOperation } or IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return current;
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="operation"/> calls <c>DisposeAsync</c> or <c>Dispose</c>.</summary>
    public static bool Releases(IOperation operation) =>
        operation.DescendantsAndSelf().Any(o => o is IInvocationOperation invocation && IsDisposeMethod(invocation.TargetMethod));

    /// <summary>True when <paramref name="operation"/> hands something on: <c>await using</c>, or a <c>[TakesOwnership]</c> argument.</summary>
    public static bool HandsOn(IOperation operation, HandleSymbols symbols) =>
        operation.DescendantsAndSelf().Any(o => o is IUsingOperation or IUsingDeclarationOperation
            || (o is IArgumentOperation argument && symbols.TakesOwnershipOf(argument.Parameter)));

    public static bool IsDisposeMethod(IMethodSymbol method) =>
        method.Parameters.Length == 0 && method.Name is "DisposeAsync" or "Dispose";

    /// <summary>The innermost lambda or local function around <paramref name="operation"/>, or null in the member itself.</summary>
    public static IOperation? EnclosingFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return current;
            }
        }

        return null;
    }

    /// <summary>Whether the function containing <paramref name="operation"/> is <c>async</c>.</summary>
    public static bool IsInAsyncFunction(IOperation operation, ISymbol owningSymbol) =>
        EnclosingFunction(operation) switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol.IsAsync,
            ILocalFunctionOperation local => local.Symbol.IsAsync,
            _ => owningSymbol is IMethodSymbol { IsAsync: true },
        };
}
