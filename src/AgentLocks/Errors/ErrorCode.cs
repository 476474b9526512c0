namespace AgentLocks;

/// <summary>
/// Why an operation failed. Each code has a fixed wire name (<see cref="ErrorCodes.ToWireName"/>), the one
/// the CLI prints in its JSON envelope and beadboard uses.
/// </summary>
/// <remarks>Usage: <c>catch (AgentLocksException e) when (e.Code == ErrorCode.ReservationConflict) { ... }</c></remarks>
public enum ErrorCode
{
    /// <summary><c>INTERNAL_ERROR</c>: a fault in AgentLocks or the machine (I/O, permissions).</summary>
    InternalError,

    /// <summary><c>INVALID_ARGS</c>: an argument broke a rule (an ID, a scope, a TTL).</summary>
    InvalidArgs,

    /// <summary><c>RESERVATION_CONFLICT</c>: an overlapping scope is held by another agent.</summary>
    ReservationConflict,

    /// <summary><c>RESERVATION_STALE_FOUND</c>: an overlapping reservation has expired; ask for takeover to take it.</summary>
    ReservationStaleFound,

    /// <summary><c>LOCKED</c>: the worker identity, or a file store's <c>reservations/.lock</c> mutex past its timeout, is held by a live process.</summary>
    Locked,

    /// <summary><c>AGENT_NOT_FOUND</c>: the agent is not registered.</summary>
    AgentNotFound,

    /// <summary><c>RESERVATION_NOT_FOUND</c>: no active reservation matches.</summary>
    ReservationNotFound,

    /// <summary><c>RELEASE_FORBIDDEN</c>: only the owner may release or renew this reservation.</summary>
    ReleaseForbidden,

    /// <summary><c>NOT_LOCKED</c>: the worker identity is not locked (or not by the caller).</summary>
    NotLocked,

    /// <summary><c>STORE_CORRUPT</c>: a store file is damaged; nothing was changed.</summary>
    StoreCorrupt,

    /// <summary><c>INVALID_LOCK</c>: a lock file is damaged or not a regular file; nothing was changed.</summary>
    InvalidLock,

    /// <summary><c>MESSAGE_NOT_FOUND</c>: no message with that id is addressed to the agent.</summary>
    MessageNotFound,
}

/// <summary>Wire names of <see cref="ErrorCode"/>.</summary>
/// <remarks>Usage: <c>ErrorCode.Locked.ToWireName() == "LOCKED"</c></remarks>
public static class ErrorCodes
{
    /// <summary>The upper-case wire name, such as <c>RESERVATION_CONFLICT</c>.</summary>
    /// <remarks>Usage: <c>string name = code.ToWireName();</c></remarks>
    public static string ToWireName(this ErrorCode code) => code switch
    {
        ErrorCode.InternalError => "INTERNAL_ERROR",
        ErrorCode.InvalidArgs => "INVALID_ARGS",
        ErrorCode.ReservationConflict => "RESERVATION_CONFLICT",
        ErrorCode.ReservationStaleFound => "RESERVATION_STALE_FOUND",
        ErrorCode.Locked => "LOCKED",
        ErrorCode.AgentNotFound => "AGENT_NOT_FOUND",
        ErrorCode.ReservationNotFound => "RESERVATION_NOT_FOUND",
        ErrorCode.ReleaseForbidden => "RELEASE_FORBIDDEN",
        ErrorCode.NotLocked => "NOT_LOCKED",
        ErrorCode.StoreCorrupt => "STORE_CORRUPT",
        ErrorCode.InvalidLock => "INVALID_LOCK",
        ErrorCode.MessageNotFound => "MESSAGE_NOT_FOUND",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };
}
