using Microsoft.Extensions.Logging;

namespace AgentLocks;

/// <summary>
/// The log events, source-generated. Event ids are stable (dashboards and alerts key on them); add new ones at the
/// end, never renumber.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "ReservationGranted", Level = LogLevel.Information,
        Message = "Agent {Agent} was granted {Scope} ({Mode}, fencing token {FencingToken}, backend {Backend})")]
    public static partial void Granted(ILogger logger, AgentId agent, ScopePattern scope, ReservationMode mode, FencingToken? fencingToken, string backend);

    [LoggerMessage(EventId = 2, EventName = "ReservationConflict", Level = LogLevel.Information,
        Message = "Agent {Agent} was refused {Scope}: {Reason}")]
    public static partial void Conflict(ILogger logger, AgentId agent, ScopePattern scope, string reason);

    [LoggerMessage(EventId = 3, EventName = "ReservationWait", Level = LogLevel.Debug,
        Message = "Agent {Agent} waits for {Scope}")]
    public static partial void Waiting(ILogger logger, AgentId agent, ScopePattern scope);

    [LoggerMessage(EventId = 4, EventName = "ReservationTakenOver", Level = LogLevel.Warning,
        Message = "Agent {Agent} took over the expired reservation of {Scope} held by {PreviousAgent}")]
    public static partial void TakenOver(ILogger logger, AgentId agent, ScopePattern scope, AgentId previousAgent);

    [LoggerMessage(EventId = 5, EventName = "ReservationReleased", Level = LogLevel.Information,
        Message = "Agent {Agent} released {Scope}")]
    public static partial void Released(ILogger logger, AgentId agent, ScopePattern scope);

    [LoggerMessage(EventId = 6, EventName = "ReservationRenewed", Level = LogLevel.Debug,
        Message = "Agent {Agent} renewed {Scope} until {ExpiresAt:O}")]
    public static partial void Renewed(ILogger logger, AgentId agent, ScopePattern scope, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 7, EventName = "HandleLost", Level = LogLevel.Warning,
        Message = "Agent {Agent} lost its reservation of {Scope} (expired, taken over, released by someone else, or the connection was lost)")]
    public static partial void HandleLost(ILogger logger, AgentId agent, ScopePattern scope);

    [LoggerMessage(EventId = 8, EventName = "StaleLockRemoved", Level = LogLevel.Warning,
        Message = "Removed the stale lock {Path} left by {Holder}")]
    public static partial void StaleLockRemoved(ILogger logger, string path, string holder);

    [LoggerMessage(EventId = 9, EventName = "StoreDamaged", Level = LogLevel.Error,
        Message = "The {Backend} store is damaged: {Reason}")]
    public static partial void StoreDamaged(ILogger logger, string backend, string reason);
}
