using System.Diagnostics.CodeAnalysis;

namespace AgentLocks;

/// <summary>The outcome of <see cref="IReservationStore.TryReserveAsync"/>: a handle, or the error that refused it.</summary>
/// <remarks>Usage: <c>var result = await store.TryReserveAsync(request); if (!result.Succeeded) Console.WriteLine(result.Error.Code);</c></remarks>
public sealed class ReserveResult
{
    private ReserveResult(ReservationHandle? handle, AgentLocksError? error)
    {
        Handle = handle;
        Error = error;
    }

    /// <summary>The handle when granted; the caller owns it and must dispose it.</summary>
    /// <remarks>Usage: <c>await using var held = result.Handle;</c></remarks>
    public ReservationHandle? Handle { get; }

    /// <summary>Why it was refused; null when granted.</summary>
    /// <remarks>Usage: <c>result.Error?.Code</c></remarks>
    public AgentLocksError? Error { get; }

    /// <summary>True when granted.</summary>
    /// <remarks>Usage: <c>if (result.Succeeded) { ... }</c></remarks>
    [MemberNotNullWhen(true, nameof(Handle))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Handle is not null;

    internal static ReserveResult Granted(ReservationHandle handle) => new(handle, null);

    internal static ReserveResult Refused(AgentLocksError error) => new(null, error);
}
