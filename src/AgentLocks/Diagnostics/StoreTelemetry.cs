using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentLocks;

/// <summary>
/// One store's logger, instruments and spans. Every recording first asks whether anyone listens (an enabled
/// instrument, a sampled activity, an enabled log level), so a store nobody observes pays a few branches.
/// </summary>
internal sealed class StoreTelemetry
{
    public const string Register = "register";
    public const string Reserve = "reserve";
    public const string Renew = "renew";
    public const string Release = "release";
    public const string Status = "status";
    public const string Check = "check";

    private static readonly string? Version = typeof(StoreTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly ActivitySource Source = new(AgentLocksDiagnostics.ActivitySourceName, Version);
    private static readonly Meter SharedMeter = new(AgentLocksDiagnostics.MeterName, Version);
    private static readonly ConditionalWeakTable<Meter, Instruments> InstrumentsByMeter = [];

    private readonly Instruments _instruments;

    /// <param name="backend">The <c>agentlocks.backend</c> tag: <c>file</c>, <c>memory</c> or <c>postgres</c>.</param>
    /// <param name="loggerFactory">Where log events go; none when null.</param>
    /// <param name="meterFactory">The container's meter factory; the process-wide <c>AgentLocks</c> meter when null.</param>
    public StoreTelemetry(string backend, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        Backend = backend;
        Logger = loggerFactory?.CreateLogger("AgentLocks") ?? NullLogger.Instance;
        var meter = meterFactory?.Create(new MeterOptions(AgentLocksDiagnostics.MeterName) { Version = Version }) ?? SharedMeter;
        _instruments = InstrumentsByMeter.GetValue(meter, static m => new Instruments(m));
    }

    public string Backend { get; }

    public ILogger Logger { get; }

    /// <summary>Starts timing (and a span, when one is sampled) for one store operation.</summary>
    public Operation Start(string operation, AgentId? agent = null, ScopePattern? scope = null)
    {
        var activity = Source.HasListeners() ? Source.StartActivity("agentlocks." + operation, ActivityKind.Internal) : null;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(AgentLocksDiagnostics.BackendTag, Backend);
            activity.SetTag(AgentLocksDiagnostics.OperationTag, operation);
            if (scope is { } s)
            {
                activity.SetTag(AgentLocksDiagnostics.ScopeTag, s.Value);
            }

            if (agent is { } a)
            {
                activity.SetTag(AgentLocksDiagnostics.AgentTag, a.Value);
            }
        }

        var started = _instruments.OperationDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
        return new Operation(this, operation, activity, started);
    }

    public void Granted(Reservation granted, IReadOnlyList<Reservation> takenOver)
    {
        if (_instruments.Grants.Enabled)
        {
            _instruments.Grants.Add(1, Tag(AgentLocksDiagnostics.BackendTag, Backend), Tag(AgentLocksDiagnostics.ModeTag, granted.Mode.ToWireName()));
        }

        foreach (var old in takenOver)
        {
            if (_instruments.Takeovers.Enabled)
            {
                _instruments.Takeovers.Add(1, Tag(AgentLocksDiagnostics.BackendTag, Backend), Tag(AgentLocksDiagnostics.ModeTag, granted.Mode.ToWireName()));
            }

            Log.TakenOver(Logger, granted.AgentId, old.Scope, old.AgentId);
        }

        Log.Granted(Logger, granted.AgentId, granted.Scope, granted.Mode, granted.FencingToken, Backend);
    }

    public void Refused(ReservationRequest request, AgentLocksError error)
    {
        if (error.Code == ErrorCode.ReservationConflict && _instruments.Conflicts.Enabled)
        {
            _instruments.Conflicts.Add(1, Tag(AgentLocksDiagnostics.BackendTag, Backend), Tag(AgentLocksDiagnostics.ModeTag, request.Mode.ToWireName()));
        }

        Log.Conflict(Logger, request.Agent, request.Scope, error.Message);
    }

    /// <summary>A reservation starts waiting for a conflicting holder; <see cref="Waited"/> records how the wait ended.</summary>
    public void Waiting(ReservationRequest request) => Log.Waiting(Logger, request.Agent, request.Scope);

    /// <summary>Records how long a reservation with a wait took and how it ended (<c>ok</c>, an error code, or <c>error</c> when it threw or was cancelled).</summary>
    public void Waited(ReservationRequest request, TimeSpan waited, string outcome)
    {
        if (_instruments.WaitDuration.Enabled)
        {
            _instruments.WaitDuration.Record(waited.TotalSeconds,
                Tag(AgentLocksDiagnostics.BackendTag, Backend), Tag(AgentLocksDiagnostics.ModeTag, request.Mode.ToWireName()), Tag(AgentLocksDiagnostics.OutcomeTag, outcome));
        }
    }

    public void HandleHeld(int delta)
    {
        if (_instruments.HandlesHeld.Enabled)
        {
            _instruments.HandlesHeld.Add(delta, Tag(AgentLocksDiagnostics.BackendTag, Backend));
        }
    }

    public void HandleLost(Reservation reservation)
    {
        HandleHeld(-1);
        if (_instruments.HandlesLost.Enabled)
        {
            _instruments.HandlesLost.Add(1, Tag(AgentLocksDiagnostics.BackendTag, Backend));
        }

        Log.HandleLost(Logger, reservation.AgentId, reservation.Scope);
    }

    public void StaleLockRemoved(string path, string holder) => Log.StaleLockRemoved(Logger, path, holder);

    internal static string OutcomeName(ErrorCode? error) => error is { } code ? code.ToWireName().ToLowerInvariant() : "ok";

    private static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);

    /// <summary>One operation in flight: end it exactly once, with <see cref="End"/> or <see cref="Fail"/>.</summary>
    internal readonly struct Operation(StoreTelemetry telemetry, string name, Activity? activity, long started)
    {
        /// <summary>Ends with <c>ok</c>, or with the refusal's code.</summary>
        public void End(AgentLocksError? refusal = null) => Finish(OutcomeName(refusal?.Code), null);

        /// <summary>Ends with the exception's code (or <c>error</c>); a damaged store is logged.</summary>
        public void Fail(Exception exception)
        {
            var code = (exception as AgentLocksException)?.Code;
            if (code == ErrorCode.StoreCorrupt)
            {
                Log.StoreDamaged(telemetry.Logger, telemetry.Backend, exception.Message);
            }

            Finish(code is null ? "error" : OutcomeName(code), exception);
        }

        private void Finish(string outcome, Exception? exception)
        {
            var duration = telemetry._instruments.OperationDuration;
            if (started != 0 && duration.Enabled)
            {
                duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                    Tag(AgentLocksDiagnostics.BackendTag, telemetry.Backend), Tag(AgentLocksDiagnostics.OperationTag, name), Tag(AgentLocksDiagnostics.OutcomeTag, outcome));
            }

            if (activity is not null)
            {
                activity.SetTag(AgentLocksDiagnostics.OutcomeTag, outcome);
                if (exception is not null)
                {
                    activity.SetTag("error.type", exception is AgentLocksException e ? e.Code.ToWireName() : exception.GetType().FullName);
                    activity.SetStatus(ActivityStatusCode.Error, exception.Message);
                }

                activity.Dispose();
            }
        }
    }

    /// <summary>The instruments of one meter (the shared one, or each container's).</summary>
    private sealed class Instruments(Meter meter)
    {
        public Counter<long> Grants { get; } = meter.CreateCounter<long>(AgentLocksDiagnostics.Grants, "{reservation}", "Reservations granted.");

        public Counter<long> Conflicts { get; } = meter.CreateCounter<long>(AgentLocksDiagnostics.Conflicts, "{reservation}", "Reservations refused because another agent holds an overlapping scope.");

        public Counter<long> Takeovers { get; } = meter.CreateCounter<long>(AgentLocksDiagnostics.Takeovers, "{reservation}", "Expired reservations taken over by another agent.");

        public Counter<long> HandlesLost { get; } = meter.CreateCounter<long>(AgentLocksDiagnostics.HandlesLost, "{handle}", "Handles whose lease was lost.");

        public UpDownCounter<long> HandlesHeld { get; } = meter.CreateUpDownCounter<long>(AgentLocksDiagnostics.HandlesHeld, "{handle}", "Reservation handles held in this process.");

        public Histogram<double> OperationDuration { get; } = meter.CreateHistogram<double>(AgentLocksDiagnostics.OperationDuration, "s", "Duration of store operations.");

        public Histogram<double> WaitDuration { get; } = meter.CreateHistogram<double>(AgentLocksDiagnostics.WaitDuration, "s", "Time a reservation waited for a conflicting holder.");
    }
}
