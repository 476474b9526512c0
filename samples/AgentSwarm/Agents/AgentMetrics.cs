using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json.Serialization;
using AgentLocks;

namespace AgentSwarm.Agents;

/// <summary>What one agent process's stores recorded on the <c>AgentLocks</c> meter, as its last event carries it.</summary>
internal sealed record AgentMetrics
{
    [JsonPropertyName("grants")]
    public long Grants { get; init; }

    [JsonPropertyName("conflicts")]
    public long Conflicts { get; init; }

    [JsonPropertyName("waits")]
    public long Waits { get; init; }

    [JsonPropertyName("takeovers")]
    public long Takeovers { get; init; }

    [JsonPropertyName("handles_lost")]
    public long HandlesLost { get; init; }

    /// <summary>Every store operation's duration, in milliseconds.</summary>
    [JsonPropertyName("operation_ms")]
    public IReadOnlyList<double> OperationMs { get; init; } = [];
}

/// <summary>
/// Listens to the <c>AgentLocks</c> meter in this process, as an exporter (OpenTelemetry, dotnet-counters) would:
/// the counters are summed, and the operation durations kept for percentiles.
/// </summary>
internal sealed class AgentMetricsListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<double> _operationMs = new();

    public AgentMetricsListener()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AgentLocksDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _counts.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == AgentLocksDiagnostics.OperationDuration)
            {
                _operationMs.Enqueue(value * 1000);
            }
            else
            {
                _counts.AddOrUpdate(instrument.Name, 1, (_, count) => count + 1);
            }
        });
        _listener.Start();
    }

    public AgentMetrics Snapshot() => new()
    {
        Grants = _counts.GetValueOrDefault(AgentLocksDiagnostics.Grants),
        Conflicts = _counts.GetValueOrDefault(AgentLocksDiagnostics.Conflicts),
        Waits = _counts.GetValueOrDefault(AgentLocksDiagnostics.WaitDuration),
        Takeovers = _counts.GetValueOrDefault(AgentLocksDiagnostics.Takeovers),
        HandlesLost = _counts.GetValueOrDefault(AgentLocksDiagnostics.HandlesLost),
        OperationMs = [.. _operationMs],
    };

    public void Dispose() => _listener.Dispose();
}
