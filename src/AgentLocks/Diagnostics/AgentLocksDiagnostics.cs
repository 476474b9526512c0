namespace AgentLocks;

/// <summary>
/// The names an operator subscribes to: one <see cref="System.Diagnostics.Metrics.Meter"/> and one
/// <see cref="System.Diagnostics.ActivitySource"/>, both <c>AgentLocks</c>, and the instruments on the meter.
/// Instrument and tag names follow OpenTelemetry's rules (lowercase, dotted, <c>agentlocks.</c> namespace, units in UCUM).
/// </summary>
/// <remarks>Usage: <c>metrics.AddMeter(AgentLocksDiagnostics.MeterName); tracing.AddSource(AgentLocksDiagnostics.ActivitySourceName);</c></remarks>
public static class AgentLocksDiagnostics
{
    /// <summary>The meter's name.</summary>
    /// <remarks>Usage: <c>metrics.AddMeter(AgentLocksDiagnostics.MeterName)</c></remarks>
    public const string MeterName = "AgentLocks";

    /// <summary>The activity source's name: one span per store operation.</summary>
    /// <remarks>Usage: <c>tracing.AddSource(AgentLocksDiagnostics.ActivitySourceName)</c></remarks>
    public const string ActivitySourceName = "AgentLocks";

    /// <summary>Counter of reservations granted (a new grant, not an agent refreshing its own). Tags: backend, mode.</summary>
    /// <remarks>Usage: <c>listener.EnableMeasurementEvents(AgentLocksDiagnostics.Grants)</c> (compare <c>instrument.Name</c>)</remarks>
    public const string Grants = "agentlocks.reservation.grants";

    /// <summary>Counter of reservations refused because another agent holds an overlapping scope. Tags: backend, mode.</summary>
    /// <remarks>Usage: <c>instrument.Name == AgentLocksDiagnostics.Conflicts</c></remarks>
    public const string Conflicts = "agentlocks.reservation.conflicts";

    /// <summary>Counter of expired reservations taken over by another agent. Tags: backend, mode.</summary>
    /// <remarks>Usage: <c>instrument.Name == AgentLocksDiagnostics.Takeovers</c></remarks>
    public const string Takeovers = "agentlocks.reservation.takeovers";

    /// <summary>Counter of handles whose lease was lost (expired, taken over, released by someone else, connection lost). Tags: backend.</summary>
    /// <remarks>Usage: <c>instrument.Name == AgentLocksDiagnostics.HandlesLost</c></remarks>
    public const string HandlesLost = "agentlocks.handle.lost";

    /// <summary>Up-down counter of reservation handles held in this process. Tags: backend.</summary>
    /// <remarks>Usage: <c>instrument.Name == AgentLocksDiagnostics.HandlesHeld</c></remarks>
    public const string HandlesHeld = "agentlocks.handle.held";

    /// <summary>Histogram of store operation durations in seconds. Tags: backend, operation, outcome.</summary>
    /// <remarks>Usage: <c>instrument.Name == AgentLocksDiagnostics.OperationDuration</c></remarks>
    public const string OperationDuration = "agentlocks.operation.duration";

    /// <summary>Histogram of the time a reservation waited for a conflicting holder, in seconds. Tags: backend, mode, outcome.</summary>
    /// <remarks>Usage: <c>instrument.Name == AgentLocksDiagnostics.WaitDuration</c></remarks>
    public const string WaitDuration = "agentlocks.reservation.wait.duration";

    /// <summary>Tag: the store's backend, <c>file</c>, <c>memory</c> or <c>postgres</c>.</summary>
    /// <remarks>Usage: <c>tags[AgentLocksDiagnostics.BackendTag]</c></remarks>
    public const string BackendTag = "agentlocks.backend";

    /// <summary>Tag: the reservation mode, <c>exclusive</c> or <c>shared</c>.</summary>
    /// <remarks>Usage: <c>tags[AgentLocksDiagnostics.ModeTag]</c></remarks>
    public const string ModeTag = "agentlocks.reservation.mode";

    /// <summary>Tag: the operation (<c>register</c>, <c>reserve</c>, <c>renew</c>, <c>release</c>, <c>status</c>, <c>check</c>).</summary>
    /// <remarks>Usage: <c>tags[AgentLocksDiagnostics.OperationTag]</c></remarks>
    public const string OperationTag = "agentlocks.operation";

    /// <summary>Tag: <c>ok</c>, or the error code's wire name in lowercase (<c>reservation_conflict</c>, <c>store_corrupt</c>, ...), or <c>error</c> for an unexpected exception.</summary>
    /// <remarks>Usage: <c>tags[AgentLocksDiagnostics.OutcomeTag]</c></remarks>
    public const string OutcomeTag = "agentlocks.outcome";

    /// <summary>Span tag: the scope pattern of the operation.</summary>
    /// <remarks>Usage: <c>activity.GetTagItem(AgentLocksDiagnostics.ScopeTag)</c></remarks>
    public const string ScopeTag = "agentlocks.scope";

    /// <summary>Span tag: the agent id of the operation.</summary>
    /// <remarks>Usage: <c>activity.GetTagItem(AgentLocksDiagnostics.AgentTag)</c></remarks>
    public const string AgentTag = "agentlocks.agent";
}
