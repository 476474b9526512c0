using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;

namespace AgentLocks.Analyzers.Lifetime;

/// <summary>
/// The AgentLocks and BCL types the lifetime rules look for in one compilation, and what the rules learn about the
/// compilation's types (which are handles, what a constructor does with a handle), cached for its lifetime.
/// </summary>
internal sealed class HandleSymbols
{
    private readonly ConcurrentDictionary<ITypeSymbol, bool> _handleTypes = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IParameterSymbol, Transfer> _transfers = new(SymbolEqualityComparer.Default);

    private HandleSymbols(
        INamedTypeSymbol lockHandle,
        INamedTypeSymbol? reserveResult,
        INamedTypeSymbol? takesOwnership,
        INamedTypeSymbol? task,
        INamedTypeSymbol? valueTask,
        INamedTypeSymbol? disposable,
        INamedTypeSymbol? asyncDisposable)
    {
        LockHandle = lockHandle;
        ReserveResult = reserveResult;
        ReserveResultHandle = reserveResult?.GetMembers("Handle").OfType<IPropertySymbol>().FirstOrDefault();
        TakesOwnership = takesOwnership;
        Task = task;
        ValueTask = valueTask;
        Disposable = disposable;
        AsyncDisposable = asyncDisposable;
    }

    public INamedTypeSymbol LockHandle { get; }

    public INamedTypeSymbol? ReserveResult { get; }

    /// <summary><c>ReserveResult.Handle</c>: the result owns the handle it carries there.</summary>
    public IPropertySymbol? ReserveResultHandle { get; }

    public INamedTypeSymbol? TakesOwnership { get; }

    public INamedTypeSymbol? Task { get; }

    public INamedTypeSymbol? ValueTask { get; }

    public INamedTypeSymbol? Disposable { get; }

    public INamedTypeSymbol? AsyncDisposable { get; }

    /// <summary>Null when the compilation does not reference AgentLocks: the rules then stay silent.</summary>
    public static HandleSymbols? TryCreate(Compilation compilation)
    {
        var agentLocks = AgentLocksAssembly.Find(compilation);
        if (agentLocks?.GetTypeByMetadataName("AgentLocks.ILockHandle") is not { } lockHandle)
        {
            return null;
        }

        // The BCL types from the core library alone, where net8.0 and later declare them (the compilation-wide lookup
        // would open their namespace in every reference, see AgentLocksAssembly).
        var coreLibrary = compilation.GetSpecialType(SpecialType.System_Object).ContainingAssembly;
        return new HandleSymbols(
            lockHandle,
            agentLocks.GetTypeByMetadataName("AgentLocks.ReserveResult"),
            agentLocks.GetTypeByMetadataName("AgentLocks.TakesOwnershipAttribute"),
            coreLibrary.GetTypeByMetadataName("System.Threading.Tasks.Task`1"),
            coreLibrary.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1"),
            compilation.GetSpecialType(SpecialType.System_IDisposable),
            coreLibrary.GetTypeByMetadataName("System.IAsyncDisposable"));
    }

    /// <summary>True for <c>ILockHandle</c> and every type implementing it.</summary>
    public bool IsHandle(ITypeSymbol? type) => type is not null && _handleTypes.GetOrAdd(type, ImplementsHandle);

    private bool ImplementsHandle(ITypeSymbol type)
    {
        if (SymbolEqualityComparer.Default.Equals(type, LockHandle))
        {
            return true;
        }

        foreach (var implemented in type.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(implemented, LockHandle))
            {
                return true;
            }
        }

        return type is ITypeParameterSymbol parameter && parameter.ConstraintTypes.Any(IsHandle);
    }

    /// <summary>True for <c>Task&lt;H&gt;</c> and <c>ValueTask&lt;H&gt;</c> of a handle <c>H</c>.</summary>
    public bool IsHandleTask(ITypeSymbol? type) =>
        type is INamedTypeSymbol { IsGenericType: true } named
        && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Task)
            || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ValueTask))
        && IsHandle(named.TypeArguments[0]);

    /// <summary>A handle that can also be released synchronously (it implements <c>IDisposable</c>).</summary>
    public bool IsSynchronouslyDisposable(ITypeSymbol type) =>
        Disposable is not null && type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, Disposable));

    /// <summary>An array of handles, or a collection type whose elements (or dictionary values) are handles.</summary>
    public bool IsHandleCollection(ITypeSymbol? type) => type switch
    {
        IArrayTypeSymbol array => IsHandle(array.ElementType),
        INamedTypeSymbol { IsGenericType: true } named => named.TypeArguments.Any(IsHandle)
            && named.AllInterfaces.Any(i => i.MetadataName == "IEnumerable`1"),
        _ => false,
    };

    /// <summary>What the constructor owning <paramref name="parameter"/> does with the handle passed to it.</summary>
    public Transfer TransferOf(IParameterSymbol parameter, CancellationToken cancellationToken) =>
        _transfers.GetOrAdd(parameter, p => ConstructorTransfer.Of(p, this, cancellationToken));

    public bool IsReserveResultHandle(IPropertySymbol property) =>
        SymbolEqualityComparer.Default.Equals(property.OriginalDefinition, ReserveResultHandle);

    public bool TakesOwnershipOf(IParameterSymbol? parameter) =>
        parameter is not null && TakesOwnership is not null
        && parameter.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, TakesOwnership));
}
