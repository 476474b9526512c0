using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace AgentLocks.Analyzers.Lifetime;

/// <summary>
/// Maps syntax to the basic block of the control-flow graph that evaluates it, across the graph of a member and
/// the graphs of its local functions and lambdas, so questions about the operation tree can be answered on the graph.
/// </summary>
internal sealed class FlowIndex
{
    private readonly Dictionary<SyntaxNode, BasicBlock> _blocks = [];
    private readonly Dictionary<BasicBlock, ControlFlowGraph> _graphs = [];
    private readonly Dictionary<ControlFlowRegion, List<BasicBlock>> _finallyContinuations = [];

    public FlowIndex(ControlFlowGraph root) => Add(root);

    /// <summary>The block evaluating <paramref name="syntax"/> (or the nearest enclosing node the graph has).</summary>
    public BasicBlock? BlockOf(SyntaxNode syntax)
    {
        for (SyntaxNode? node = syntax; node is not null; node = node.Parent)
        {
            if (_blocks.TryGetValue(node, out var block))
            {
                return block;
            }
        }

        return null;
    }

    public static bool Contains(ControlFlowRegion region, BasicBlock block) =>
        block.Ordinal >= region.FirstBlockOrdinal && block.Ordinal <= region.LastBlockOrdinal;

    /// <summary>
    /// The blocks control can reach next. A <c>finally</c> ends without a destination in the graph; it continues where
    /// the branches that ran it were going.
    /// </summary>
    /// <param name="block">The block.</param>
    /// <param name="pruned">A branch known not to be taken (see <see cref="NullTest"/>), or null.</param>
    public IEnumerable<BasicBlock?> Successors(BasicBlock block, ControlFlowBranch? pruned = null)
    {
        foreach (var branch in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
        {
            if (branch is null || ReferenceEquals(branch, pruned))
            {
                continue;
            }

            if (branch.Destination is not null)
            {
                yield return branch.Destination;
            }
            else if (branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling
                && block.EnclosingRegion.Kind == ControlFlowRegionKind.Finally)
            {
                foreach (var next in FinallyContinuations(block.EnclosingRegion, block))
                {
                    yield return next;
                }
            }
            else if (branch.Semantics is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow)
            {
                yield return null; // leaves the member by an exception
            }
        }
    }

    /// <summary>The branch of <paramref name="block"/> taken only when <paramref name="handle"/> is null, if its condition tests that.</summary>
    public static ControlFlowBranch? NullBranch(BasicBlock block, TrackedHandle handle)
    {
        if (block.BranchValue is null || block.ConditionalSuccessor is null || NullTest(block.BranchValue, handle) is not { } nullWhenTrue)
        {
            return null;
        }

        var conditionalMeansTrue = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
        return conditionalMeansTrue == nullWhenTrue ? block.ConditionalSuccessor : block.FallThroughSuccessor;
    }

    /// <summary>True when the condition being true means <paramref name="handle"/> is null, false when it means not null.</summary>
    private static bool? NullTest(IOperation condition, TrackedHandle handle)
    {
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return !NullTest(not.Operand, handle);
            case IIsNullOperation isNull when handle.Is(isNull.Operand):
                return true;
            case IIsPatternOperation pattern:
                // held is null, await x is { } h, and the case labels and arms of a switch (they test its captured value)
                return handle.NullWhenMatched(pattern.Value, pattern.Pattern);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary
                when (handle.Is(binary.LeftOperand) && OperationShapes.IsNullConstant(binary.RightOperand))
                    || (handle.Is(binary.RightOperand) && OperationShapes.IsNullConstant(binary.LeftOperand)):
                return binary.OperatorKind == BinaryOperatorKind.Equals;
            default:
                return null;
        }
    }

    private List<BasicBlock> FinallyContinuations(ControlFlowRegion finallyRegion, BasicBlock inside)
    {
        if (_finallyContinuations.TryGetValue(finallyRegion, out var known))
        {
            return known;
        }

        var graph = _graphs[inside];
        var result = new List<BasicBlock>();
        foreach (var block in graph.Blocks)
        {
            foreach (var branch in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
            {
                if (branch?.Destination is not null && branch.FinallyRegions.Contains(finallyRegion))
                {
                    result.Add(branch.Destination);
                }
            }
        }

        _finallyContinuations[finallyRegion] = result;
        return result;
    }

    private void Add(ControlFlowGraph graph)
    {
        foreach (var block in graph.Blocks)
        {
            _graphs[block] = graph;
            foreach (var operation in block.Operations)
            {
                Index(operation, block);
            }

            if (block.BranchValue is not null)
            {
                Index(block.BranchValue, block);
            }
        }

        foreach (var function in graph.LocalFunctions)
        {
            Add(graph.GetLocalFunctionControlFlowGraph(function));
        }

        foreach (var block in graph.Blocks)
        {
            var lambdas = block.Operations.SelectMany(o => o.DescendantsAndSelf()).OfType<IFlowAnonymousFunctionOperation>();
            if (block.BranchValue is not null)
            {
                lambdas = lambdas.Concat(block.BranchValue.DescendantsAndSelf().OfType<IFlowAnonymousFunctionOperation>());
            }

            foreach (var lambda in lambdas.ToList())
            {
                Add(graph.GetAnonymousFunctionControlFlowGraph(lambda));
            }
        }
    }

    private void Index(IOperation root, BasicBlock block)
    {
        foreach (var operation in root.DescendantsAndSelf())
        {
            if (!_blocks.ContainsKey(operation.Syntax))
            {
                _blocks[operation.Syntax] = block;
            }
        }
    }
}
