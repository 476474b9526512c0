namespace AgentLocks.Generators;

/// <summary>The tracking names of the generator's pipeline steps, for the incremental-cache tests.</summary>
internal static class TrackingNames
{
    /// <summary>One fragment per declaration carrying <c>[AgentIdentity]</c>.</summary>
    public const string AgentIdentity = nameof(AgentIdentity);

    /// <summary>One fragment per declaration carrying <c>[WorkerIdentity]</c>.</summary>
    public const string WorkerIdentity = nameof(WorkerIdentity);

    /// <summary>One fragment per declaration carrying <c>[ReservesScope]</c>.</summary>
    public const string ReservesScope = nameof(ReservesScope);

    /// <summary>All fragments merged into one model per class, sorted by metadata name.</summary>
    public const string Classes = nameof(Classes);

    /// <summary>The per-class models, one item each, feeding one generated file each.</summary>
    public const string Class = nameof(Class);

    /// <summary>All tracking names, for tests that check every step.</summary>
    public static readonly string[] All = [AgentIdentity, WorkerIdentity, ReservesScope, Classes, Class];
}
