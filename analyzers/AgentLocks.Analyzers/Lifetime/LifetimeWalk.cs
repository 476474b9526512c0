using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace AgentLocks.Analyzers.Lifetime;

/// <summary>The lifetime rules applied to one member body.</summary>
internal sealed class LifetimeWalk(HandleSymbols symbols, OperationBlockAnalysisContext context)
{
    private readonly Dictionary<ILocalSymbol, List<ILocalReferenceOperation>> _references = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ILocalSymbol> _reportedAfterRelease = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ILocalSymbol, List<(IOperation Fill, IOperation ReportAt)>> _fills = new(SymbolEqualityComparer.Default);
    private readonly List<IOperation> _candidates = [];
    private readonly Stack<IOperation> _pending = new();
    private FlowIndex? _index;
    private bool _hasGoto;
    private IOperation _root = null!;

    public void Run()
    {
        var roots = new HashSet<IOperation>();
        foreach (var block in context.OperationBlocks)
        {
            var root = block;
            while (root.Parent is not null)
            {
                root = root.Parent;
            }

            if (root is IMethodBodyBaseOperation or IBlockOperation or IFieldInitializerOperation or IPropertyInitializerOperation && roots.Add(root))
            {
                Analyze(root);
            }
        }
    }

    private void Analyze(IOperation root)
    {
        _root = root;
        _index = null;
        _references.Clear();
        _fills.Clear();
        _hasGoto = false;
        // One walk in document order with an explicit stack (no iterators, no list of every operation) that indexes the
        // local references and keeps the operations the rules look at, told apart by OperationKind (one virtual call)
        // before any interface test: in a build the compiler runs this code cold, where every test costs.
        _candidates.Clear();
        _pending.Push(root);
        while (_pending.Count > 0)
        {
            var operation = _pending.Pop();
            switch (operation.Kind)
            {
                case OperationKind.LocalReference:
                    var reference = (ILocalReferenceOperation)operation;
                    if (!_references.TryGetValue(reference.Local, out var list))
                    {
                        _references[reference.Local] = list = [];
                    }

                    list.Add(reference);
                    _candidates.Add(operation);
                    break;
                case OperationKind.Branch:
                    _hasGoto |= ((IBranchOperation)operation).BranchKind == BranchKind.GoTo;
                    break;
                case OperationKind.Await or OperationKind.ObjectCreation or OperationKind.Invocation or OperationKind.PropertyReference
                    or OperationKind.Using or OperationKind.UsingDeclaration:
                    _candidates.Add(operation);
                    break;
            }

            foreach (var child in operation.ChildOperations.Reverse())
            {
                _pending.Push(child);
            }
        }

        foreach (var operation in _candidates)
        {
            switch (operation)
            {
                case IAwaitOperation or IObjectCreationOperation when symbols.IsHandle(operation.Type):
                    CheckAcquisition(operation, storedOnly: false);
                    break;
                case IAwaitOperation awaitOperation when IsReserveResult(awaitOperation.Type):
                    CheckReserveResult(awaitOperation);
                    break;
                case IAwaitOperation awaitOperation when symbols.IsHandleCollection(awaitOperation.Type) && AwaitsWhenAll(awaitOperation):
                    CheckAcquiredCollection(awaitOperation);
                    break;
                case ILocalReferenceOperation reference when symbols.IsHandle(reference.Type)
                    && OperationShapes.Consumer(reference, out var referenceTop) is { } referenceConsumer
                    && FilledCollection(referenceConsumer, referenceTop, out var fill) is { } filled:
                    AddFill(filled, fill, reference);
                    break;
                case IInvocationOperation invocation when symbols.IsHandle(invocation.Type):
                    CheckAcquisition(operation, storedOnly: false);
                    break;
                case IInvocationOperation invocation when symbols.IsHandleTask(invocation.Type):
                    CheckTask(invocation);
                    break;
                case IPropertyReferenceOperation { Property.Name: "Result" } result when symbols.IsHandleTask(result.Instance?.Type):
                    CheckAcquisition(operation, storedOnly: false);
                    break;
                case IPropertyReferenceOperation property when symbols.IsReserveResultHandle(property.Property):
                    // Reading result.Handle acquires it only when stored: tests like result.Handle is null do not.
                    CheckAcquisition(operation, storedOnly: true);
                    break;
            }

            CheckSynchronousRelease(operation);
        }

        foreach (var pair in _fills)
        {
            CheckCollection(pair.Key, pair.Value);
        }

        foreach (var pair in _references)
        {
            if (symbols.IsHandle(pair.Key.Type))
            {
                CheckUseAfterRelease(pair.Key, pair.Value);
            }
        }
    }

    // The roots of OperationBlocks are the member bodies the graph is built for (the blocks are their children).
    private FlowIndex Index => _index ??= new FlowIndex(ControlFlowGraph.Create(_root.Syntax, _root.SemanticModel!, context.CancellationToken)!);

    private bool IsReserveResult(ITypeSymbol? type) =>
        symbols.ReserveResult is not null && SymbolEqualityComparer.Default.Equals(type, symbols.ReserveResult);

    /// <summary>What happens to a freshly acquired handle: stored, handed on, disposed, discarded or lost.</summary>
    private void CheckAcquisition(IOperation acquisition, bool storedOnly)
    {
        var consumer = OperationShapes.Consumer(acquisition, out var top);
        switch (consumer)
        {
            case null:
            case IReturnOperation:
                return;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                if (!OperationShapes.IsUsingResource(declarator))
                {
                    CheckLocals([declarator.Symbol], acquisition, top, boundByPatterns: false);
                }

                return;
            case ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Value, top):
                if (assignment.Target is ILocalReferenceOperation local)
                {
                    CheckLocals([local.Local], acquisition, top, boundByPatterns: false);
                }
                else if (assignment.Target is IDiscardOperation && !storedOnly)
                {
                    Report(Descriptors.HandleDiscarded, acquisition, Describe(acquisition));
                }
                else if (FilledCollection(consumer, top, out var fill) is { } collection)
                {
                    AddFill(collection, fill, acquisition);
                }

                return; // a field, property, element of a collection that is not a local, or out parameter now owns it
            case IIsPatternOperation or ISwitchOperation or ISwitchExpressionOperation
                when OperationShapes.PatternBoundLocals(consumer, top) is { Count: > 0 } bound:
                // is { } h, case T h when ...:, x switch { { } h => ... }: the patterns store the handle in their locals;
                // the flow walk follows it through the tests that did not bind it.
                CheckLocals(bound, acquisition, top, boundByPatterns: true);
                return;
            case IExpressionStatementOperation when !storedOnly:
                Report(Descriptors.HandleDiscarded, acquisition, Describe(acquisition));
                return;
            case IArgumentOperation argument when HandsOn(argument):
            case ITupleOperation when GoesOn(top): // return (new WorkerLockHandle(...), status);
            case IInvocationOperation release when ReferenceEquals(release.Instance, top) && OperationShapes.IsDisposeMethod(release.TargetMethod):
                return; // await queue.Dequeue().DisposeAsync(): released as soon as it is taken
            case IArgumentOperation argument when OperationShapes.IsCollectionFill(argument, symbols):
                if (FilledCollection(argument, top, out var added) is { } addedTo)
                {
                    AddFill(addedTo, added, acquisition);
                }

                return; // in a collection that is not a local: its owner's business
            default:
                if (!storedOnly && !OperationShapes.FlowsIntoUsing(consumer, top))
                {
                    Report(Descriptors.HandleNotReleased, acquisition, Describe(acquisition));
                }

                return;
        }
    }

    /// <summary>A <c>TryReserveAsync</c> result owns its handle: it must be read (and then released) or handed on.</summary>
    private void CheckReserveResult(IAwaitOperation acquisition)
    {
        var consumer = OperationShapes.Consumer(acquisition, out var top);
        if (consumer is IIsPatternOperation or ISwitchOperation or ISwitchExpressionOperation)
        {
            // is { Handle: { } h }, case { Handle: var h }:: followed like a handle the patterns bind directly. A test
            // that binds neither the handle nor the result leaves no way to release the handle.
            var bound = OperationShapes.PatternBoundLocals(consumer, top, symbols.ReserveResultHandle);
            if (bound.Count > 0)
            {
                CheckLocals(bound, acquisition, top, boundByPatterns: true, symbols.ReserveResultHandle);
            }
            else if (OperationShapes.PatternBoundLocals(consumer, top).Count == 0)
            {
                Report(Descriptors.HandleNotReleased, acquisition, Describe(acquisition));
            }

            return;
        }

        ILocalSymbol? local = consumer switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when ReferenceEquals(assignment.Value, top) => target.Local,
            _ => null,
        };

        if (consumer is IExpressionStatementOperation or ISimpleAssignmentOperation { Target: IDiscardOperation })
        {
            Report(Descriptors.HandleDiscarded, acquisition, Describe(acquisition));
        }
        else if (local is not null)
        {
            var read = false;
            foreach (var reference in References(local))
            {
                var tested = OperationShapes.Consumer(reference, out var testedTop);
                if (tested is IIsPatternOperation or ISwitchOperation or ISwitchExpressionOperation
                    && OperationShapes.PatternBoundLocals(tested, testedTop, symbols.ReserveResultHandle) is { Count: > 0 } bound)
                {
                    // if (result is { Handle: { } h }): followed from the test, as if the result were awaited there.
                    CheckLocals(bound, reference, testedTop, boundByPatterns: true, symbols.ReserveResultHandle);
                    read = true;
                }
                else
                {
                    read |= reference.Parent is IPropertyReferenceOperation { Property.Name: "Handle" } || IsHandedOn(reference);
                }
            }

            if (!read)
            {
                Report(Descriptors.HandleNotReleased, acquisition, local.Name + ".Handle");
            }
        }
    }

    private void AddFill(ILocalSymbol collection, IOperation fill, IOperation reportAt)
    {
        if (!_fills.TryGetValue(collection, out var list))
        {
            _fills[collection] = list = [];
        }

        list.Add((fill, reportAt));
    }

    private static bool AwaitsWhenAll(IAwaitOperation awaitOperation) =>
        awaitOperation.Operation is IInvocationOperation { TargetMethod.Name: "WhenAll" }
            or IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: IInvocationOperation { TargetMethod.Name: "WhenAll" } };

    /// <summary>
    /// <c>var handles = await Task.WhenAll(acquisitions)</c>: the array owns every handle, so it must be drained (or
    /// handed on) like a collection the handles were added to.
    /// </summary>
    private void CheckAcquiredCollection(IAwaitOperation acquisition)
    {
        var consumer = OperationShapes.Consumer(acquisition, out var top);
        var local = consumer switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when ReferenceEquals(assignment.Value, top) => target.Local,
            _ => null,
        };
        if (local is not null)
        {
            AddFill(local, acquisition, acquisition);
        }
    }

    /// <summary>
    /// The local collection a value goes into (<c>list.Add(v)</c>, <c>stack.Push(v)</c>, <c>array[i] = v</c>,
    /// <c>dictionary[k] = v</c>), and the operation that puts it there; null when it goes elsewhere.
    /// </summary>
    private ILocalSymbol? FilledCollection(IOperation consumer, IOperation top, out IOperation fill)
    {
        fill = consumer;
        var collection = consumer switch
        {
            IArgumentOperation argument when OperationShapes.IsCollectionFill(argument, symbols) => ((IInvocationOperation)argument.Parent!).Instance,
            ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Value, top) => assignment.Target switch
            {
                IArrayElementReferenceOperation element => element.ArrayReference,
                IPropertyReferenceOperation { Property.IsIndexer: true } indexer when symbols.IsHandleCollection(indexer.Instance?.Type) => indexer.Instance,
                _ => null,
            },
            _ => null,
        };

        return collection is null ? null : (OperationShapes.WithoutConversions(collection) as ILocalReferenceOperation)?.Local;
    }

    /// <summary>
    /// A local collection that handles were put into is drained (a loop over it, or a statement on it, that releases
    /// what it takes), in a <c>finally</c> that covers every fill, or is handed on (also element by element).
    /// </summary>
    private void CheckCollection(ILocalSymbol collection, List<(IOperation Fill, IOperation ReportAt)> fills)
    {
        var function = OperationShapes.EnclosingFunction(fills[0].Fill);
        var drains = new List<IOperation>();
        var uses = new List<ILocalReferenceOperation>();
        foreach (var reference in References(collection))
        {
            if (!ReferenceEquals(OperationShapes.EnclosingFunction(reference), function))
            {
                continue;
            }

            var taking = OperationShapes.ElementsTakenBy(reference);
            if (taking is not null && OperationShapes.Releases(taking))
            {
                drains.Add(reference);
            }
            else if (IsHandedOn(reference) || (taking is not null && OperationShapes.HandsOn(taking, symbols)))
            {
                return; // handed on (or each element is): the new owner's business, as for a handle in a local
            }
            else if (reference.Parent is not ISimpleAssignmentOperation assignment || !ReferenceEquals(assignment.Target, reference))
            {
                uses.Add(reference);
            }
        }

        foreach (var (fill, reportAt) in fills)
        {
            if (!ReleasedOnEveryPath(new TrackedHandle(fill, fill, [collection], null), drains, [], uses))
            {
                Report(Descriptors.HandleNotReleased, reportAt, collection.Name);
                return;
            }
        }
    }

    /// <summary>A task of a handle must be awaited (or handed on), or the handle it produces can never be released.</summary>
    private void CheckTask(IInvocationOperation task)
    {
        var consumer = OperationShapes.Consumer(task, out var top);
        switch (consumer)
        {
            case IExpressionStatementOperation:
            case ISimpleAssignmentOperation { Target: IDiscardOperation }:
                Report(Descriptors.AcquisitionNotAwaited, task, Describe(task));
                return;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                CheckTaskLocal(declarator.Symbol, task);
                return;
            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when ReferenceEquals(assignment.Value, top):
                CheckTaskLocal(target.Local, task);
                return;
        }
    }

    private void CheckTaskLocal(ILocalSymbol local, IInvocationOperation task)
    {
        foreach (var reference in References(local))
        {
            var consumer = OperationShapes.Consumer(reference, out _);
            if (consumer is IAwaitOperation or IArgumentOperation or IReturnOperation or IInvocationOperation or IPropertyReferenceOperation
                || consumer is ISimpleAssignmentOperation { Target: not IDiscardOperation }
                || !ReferenceEquals(OperationShapes.EnclosingFunction(reference), OperationShapes.EnclosingFunction(task)))
            {
                return;
            }
        }

        Report(Descriptors.AcquisitionNotAwaited, task, Describe(task));
    }

    /// <summary>
    /// AGL001 for a handle stored in a local, or bound by the patterns that test it to one of several locals. A
    /// stored handle that is handed on somewhere is its new owner's business; a pattern-bound one is handed on only on
    /// the paths where a local that hands it on holds it, so the walk follows it from the acquisition.
    /// <paramref name="value"/> is the acquisition as stored or tested (through conversions); <paramref name="carrier"/>
    /// the property of it the patterns find the handle in, if the value is a result rather than the handle.
    /// </summary>
    private void CheckLocals(List<ILocalSymbol> locals, IOperation acquisition, IOperation value, bool boundByPatterns, IPropertySymbol? carrier = null)
    {
        var function = OperationShapes.EnclosingFunction(acquisition);
        var handOffs = new List<IOperation>();
        var owners = new List<ILocalSymbol>();
        foreach (var local in locals)
        {
            var before = handOffs.Count;
            foreach (var reference in References(local))
            {
                // Handed on, or released by a lambda or local function: the new owner releases it.
                if (IsHandedOn(reference) || (!ReferenceEquals(OperationShapes.EnclosingFunction(reference), function) && OperationShapes.IsRelease(reference, out _)))
                {
                    handOffs.Add(OutermostWithin(function, reference));
                }
            }

            if (handOffs.Count == before)
            {
                owners.Add(local);
            }
        }

        if (owners.Count == 0 && !boundByPatterns)
        {
            return;
        }

        var releases = new List<IOperation>();
        var uses = new List<ILocalReferenceOperation>();
        foreach (var reference in owners.SelectMany(References))
        {
            if (!ReferenceEquals(OperationShapes.EnclosingFunction(reference), function))
            {
                continue; // a lambda that only reads the handle neither owns nor releases it, and may run at any time
            }

            if (OperationShapes.IsRelease(reference, out var release))
            {
                releases.Add(release);
            }
            else if (reference.Parent is not ISimpleAssignmentOperation assignment || !ReferenceEquals(assignment.Target, reference)
                || !ReferenceEquals(assignment.Value, value))
            {
                uses.Add(reference); // read, or overwritten by another value: the handle must be settled before either
            }
        }

        if (!(locals.Count == 1 && handOffs.Count == 0 && SyntaxShortcuts.ReleasedByTheNextTry(value.Syntax, locals[0], releases))
            && !ReleasedOnEveryPath(new TrackedHandle(acquisition, value, locals, carrier), releases, handOffs, uses))
        {
            Report(Descriptors.HandleNotReleased, acquisition, string.Join(", ", (owners.Count > 0 ? owners : locals).Select(local => local.Name)));
        }
    }

    /// <summary>The reference, or the outermost lambda or local function around it inside <paramref name="function"/>.</summary>
    private static IOperation OutermostWithin(IOperation? function, IOperation reference)
    {
        var outermost = reference;
        for (var current = reference.Parent; current is not null && !ReferenceEquals(current, function); current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                outermost = current;
            }
        }

        return outermost;
    }

    /// <summary>
    /// An argument to a <c>[TakesOwnership]</c> parameter, or to what wraps it in a task (<c>Task.FromResult(h)</c>,
    /// <c>new ValueTask&lt;H&gt;(h)</c>): the task carries the handle on, and AGL003 follows the task. Also an argument
    /// to a constructor that keeps it (see <see cref="ConstructorTransfer"/>), or to what makes a <c>ReserveResult</c>
    /// of it, when the object goes on.
    /// </summary>
    private bool HandsOn(IArgumentOperation argument) =>
        symbols.TakesOwnershipOf(argument.Parameter) || symbols.IsHandleTask(argument.Parent?.Type)
        || (IsReserveResult(argument.Parent?.Type) && GoesOn(argument.Parent!)) // return ReserveResult.Granted(handle);
        || (argument is { Parent: IObjectCreationOperation creation, Parameter: { } parameter }
            && symbols.TransferOf(parameter, context.CancellationToken) switch
            {
                Transfer.Released or Transfer.Unknown => true,
                Transfer.Kept => GoesOn(creation),
                _ => false,
            });

    /// <summary>
    /// Whether an object that keeps a handle (a record, say) leaves for another owner: returned (also in a tuple),
    /// stored, handed on, or kept in a local that is.
    /// </summary>
    private bool GoesOn(IOperation created)
    {
        var consumer = OperationShapes.Consumer(created, out var top);
        while (consumer is ITupleOperation tuple)
        {
            consumer = OperationShapes.Consumer(tuple, out top);
        }

        return consumer switch
        {
            IReturnOperation => true,
            ISimpleAssignmentOperation assignment => ReferenceEquals(assignment.Value, top) && assignment.Target is not (IDiscardOperation or ILocalReferenceOperation),
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => References(declarator.Symbol).Any(IsHandedOn),
            IArgumentOperation argument => HandsOn(argument),
            _ => false,
        };
    }

    private bool IsHandedOn(ILocalReferenceOperation reference)
    {
        var consumer = OperationShapes.Consumer(reference, out var top);
        if (consumer is ITupleOperation)
        {
            // return (held, waited): the tuple carries the handle to the caller. A tuple kept in a local is not
            // followed, so the handle must still be released here.
            while (consumer is ITupleOperation tuple)
            {
                consumer = OperationShapes.Consumer(tuple, out top);
            }

            return consumer is IReturnOperation;
        }

        return consumer switch
        {
            IReturnOperation => true,
            ISimpleAssignmentOperation assignment => ReferenceEquals(assignment.Value, top) && assignment.Target is not IDiscardOperation,
            IVariableInitializerOperation => true,
            IArgumentOperation argument => HandsOn(argument) || OperationShapes.FlowsIntoUsing(argument, top) || OperationShapes.IsCollectionFill(argument, symbols),
            IUsingOperation usingOperation => ReferenceEquals(usingOperation.Resources, top),
            _ => false,
        };
    }

    /// <summary>
    /// True when every path from the acquisition, before the handle is used, either enters a <c>try</c> whose
    /// <c>finally</c> releases (or hands on) the handle, or reaches a hand-off. Paths on which the handle is known to
    /// be null need neither. Uses after the <c>finally</c> are AGL005's business.
    /// </summary>
    private bool ReleasedOnEveryPath(TrackedHandle handle, List<IOperation> releases, List<IOperation> handOffs, List<ILocalReferenceOperation> uses)
    {
        if (releases.Count == 0 && handOffs.Count == 0)
        {
            return false;
        }

        var index = Index;
        if (index.BlockOf(handle.Acquisition.Syntax) is not { } start)
        {
            return true; // not in the graph (unreachable code): nothing to say
        }

        var useBlocks = Positions(index, uses.Where(u => !IsNullTest(u)));
        var releaseBlocks = Positions(index, releases);

        var handOffBlocks = new HashSet<BasicBlock>();
        foreach (var handOff in handOffs)
        {
            if (index.BlockOf(handOff.Syntax) is not { } block)
            {
                return true; // handed on where the graph cannot place it (a local function): trust the new owner
            }

            handOffBlocks.Add(block);
        }

        var tryRegions = new List<ControlFlowRegion>();
        foreach (var release in releases.Concat(handOffs))
        {
            for (var region = index.BlockOf(release.Syntax)?.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind == ControlFlowRegionKind.Finally && region.EnclosingRegion is { } tryAndFinally)
                {
                    tryRegions.Add(tryAndFinally.NestedRegions[0]);
                }
            }
        }

        return EveryPathIsSettledBeforeUse(start, handle, tryRegions, handOffBlocks, useBlocks, releaseBlocks);
    }

    /// <summary>Where in each block the operations are (their start positions).</summary>
    private static Dictionary<BasicBlock, List<int>> Positions(FlowIndex index, IEnumerable<IOperation> operations)
    {
        var positions = new Dictionary<BasicBlock, List<int>>();
        foreach (var operation in operations)
        {
            if (index.BlockOf(operation.Syntax) is { } block)
            {
                if (!positions.TryGetValue(block, out var list))
                {
                    positions[block] = list = [];
                }

                list.Add(operation.Syntax.SpanStart);
            }
        }

        return positions;
    }

    private bool EveryPathIsSettledBeforeUse(
        BasicBlock start,
        TrackedHandle handle,
        List<ControlFlowRegion> tryRegions,
        HashSet<BasicBlock> handOffBlocks,
        Dictionary<BasicBlock, List<int>> useBlocks,
        Dictionary<BasicBlock, List<int>> releaseBlocks)
    {
        var acquiredAt = handle.Acquisition.Syntax.Span.End;
        var pending = new Stack<BasicBlock>();
        var seen = new HashSet<BasicBlock>();
        pending.Push(start);
        while (pending.Count > 0)
        {
            var block = pending.Pop();
            if (handOffBlocks.Contains(block) || tryRegions.Any(region => FlowIndex.Contains(region, block)))
            {
                continue;
            }

            // A release reached before any use settles the handle as a finally does: nothing that uses it can throw first.
            var from = ReferenceEquals(block, start) ? acquiredAt : -1;
            var releasedAt = releaseBlocks.TryGetValue(block, out var released) ? released.Where(p => p > from).DefaultIfEmpty(int.MaxValue).Min() : int.MaxValue;
            if (useBlocks.TryGetValue(block, out var used) && used.Any(p => p > from && p < releasedAt))
            {
                return false;
            }

            if (releasedAt != int.MaxValue)
            {
                continue;
            }

            if (block.Kind == BasicBlockKind.Exit)
            {
                return false;
            }

            foreach (var next in Index.Successors(block, FlowIndex.NullBranch(block, handle)))
            {
                if (next is null)
                {
                    return false; // an exception leaves before the try is entered
                }

                if (seen.Add(next))
                {
                    pending.Push(next);
                }
            }
        }

        return true;
    }

    private static bool IsNullTest(ILocalReferenceOperation reference) =>
        OperationShapes.Consumer(reference, out _) is IIsPatternOperation or IIsNullOperation
            or IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals };

    /// <summary>AGL005: a use reachable from a release without the local being assigned again.</summary>
    private void CheckUseAfterRelease(ILocalSymbol local, List<ILocalReferenceOperation> references)
    {
        var releaseSyntax = new HashSet<SyntaxNode>();
        var releases = new List<IOperation>();
        foreach (var reference in references)
        {
            if (OperationShapes.IsRelease(reference, out var release))
            {
                releaseSyntax.Add(reference.Syntax);
                releases.Add(release);
            }
        }

        if (releases.Count == 0 || SyntaxShortcuts.NothingAfterRelease(_root.Syntax, references, releaseSyntax, releases, _hasGoto))
        {
            return;
        }

        foreach (var release in releases)
        {
            if (Index.BlockOf(release.Syntax) is not { } start)
            {
                continue;
            }

            var pending = new Stack<(BasicBlock Block, int From)>();
            var seen = new HashSet<BasicBlock>();
            pending.Push((start, release.Syntax.Span.End));
            while (pending.Count > 0)
            {
                var (block, from) = pending.Pop();
                var use = FirstUse(block, from, local, releaseSyntax, out var reassigned);
                if (use is not null)
                {
                    if (_reportedAfterRelease.Add(local))
                    {
                        context.ReportDiagnostic(Diagnostic.Create(Descriptors.HandleUsedAfterRelease, use.GetLocation(), local.Name));
                    }

                    return;
                }

                if (reassigned)
                {
                    continue;
                }

                foreach (var next in Index.Successors(block))
                {
                    if (next is not null && seen.Add(next))
                    {
                        pending.Push((next, 0));
                    }
                }
            }
        }
    }

    private static SyntaxNode? FirstUse(BasicBlock block, int from, ILocalSymbol local, HashSet<SyntaxNode> releaseSyntax, out bool reassigned)
    {
        reassigned = false;
        var operations = block.BranchValue is null ? block.Operations : block.Operations.Add(block.BranchValue);
        foreach (var operation in operations.SelectMany(o => o.DescendantsAndSelf()))
        {
            if (operation.Syntax.SpanStart < from)
            {
                continue;
            }

            if ((operation is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Local, local))
                || (operation is ILocalReferenceOperation { Parent: IDeclarationExpressionOperation or IArgumentOperation { Parameter.RefKind: RefKind.Out } } written
                    && SymbolEqualityComparer.Default.Equals(written.Local, local)))
            {
                // assigned again (also by an out argument: while (stack.TryPop(out var h)) ...)
                reassigned = true;
                return null;
            }

            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)
                && !releaseSyntax.Contains(reference.Syntax))
            {
                return reference.Syntax;
            }
        }

        return null;
    }

    /// <summary>AGL004: <c>using</c> or <c>Dispose()</c> of a handle where <c>await</c> is available.</summary>
    private void CheckSynchronousRelease(IOperation operation)
    {
        switch (operation)
        {
            case IUsingOperation { IsAsynchronous: false } usingOperation when IsInAsync(operation):
                foreach (var name in HandleResources(usingOperation.Resources))
                {
                    Report(Descriptors.SynchronousDisposeInAsyncMethod, operation, name);
                }

                break;
            case IUsingDeclarationOperation { IsAsynchronous: false } declaration when IsInAsync(operation):
                foreach (var name in HandleResources(declaration.DeclarationGroup))
                {
                    Report(Descriptors.SynchronousDisposeInAsyncMethod, operation, name);
                }

                break;
            case IInvocationOperation { TargetMethod.Name: "Dispose", TargetMethod.Parameters.Length: 0, Instance: { } instance } invocation
                when symbols.IsHandle(instance.Type) && IsInAsync(operation):
                Report(Descriptors.SynchronousDisposeInAsyncMethod, invocation, instance.Syntax.ToString());
                break;
        }
    }

    private IEnumerable<string> HandleResources(IOperation resources) =>
        resources is IVariableDeclarationGroupOperation group
            ? group.Declarations.SelectMany(d => d.Declarators).Where(d => symbols.IsHandle(d.Symbol.Type)).Select(d => d.Symbol.Name)
            : symbols.IsHandle(resources.Type) ? [resources.Syntax.ToString()] : [];

    private bool IsInAsync(IOperation operation) => OperationShapes.IsInAsyncFunction(operation, context.OwningSymbol);

    private List<ILocalReferenceOperation> References(ILocalSymbol local) =>
        _references.TryGetValue(local, out var list) ? list : [];

    private static string Describe(IOperation operation) =>
        operation is IAwaitOperation awaitOperation ? awaitOperation.Operation.Syntax.ToString() : operation.Syntax.ToString();

    private void Report(DiagnosticDescriptor descriptor, IOperation operation, string argument) =>
        context.ReportDiagnostic(Diagnostic.Create(descriptor, operation.Syntax.GetLocation(), argument));
}
