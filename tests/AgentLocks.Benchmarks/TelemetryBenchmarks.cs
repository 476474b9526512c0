using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging;

namespace AgentLocks.Benchmarks;

/// <summary>
/// What the meter, the spans and the log events cost: one reserve+release round trip on the in-memory store (the
/// cheapest store, so telemetry's share is the largest it can be), with nobody listening (the baseline) and with a
/// MeterListener on every AgentLocks instrument, an ActivityListener recording every span and a logger taking every
/// event.
/// Run: <c>dotnet run -c Release --project tests/AgentLocks.Benchmarks -- --filter '*TelemetryBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private static readonly AgentId Agent = AgentId.Parse("bench");
    private static readonly BeadId Bead = BeadId.Parse("bd-1");
    private static readonly ScopePattern Scope = ScopePattern.Parse("src/bench/**");

    private InMemoryReservationStore _store = null!;
    // Static: each case runs in a process of its own, and the listeners are process-wide anyway.
    private static MeterListener? s_meters;
    private static ActivityListener? s_spans;
    private static long s_measured;

    [Params(false, true)]
    public bool Listening { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        ILoggerFactory? logging = null;
        if (Listening)
        {
            s_meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == AgentLocksDiagnostics.MeterName)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            s_meters.SetMeasurementEventCallback<long>((_, value, _, _) => s_measured += value);
            s_meters.SetMeasurementEventCallback<double>((_, _, _, _) => s_measured++);
            s_meters.Start();
            s_spans = new ActivityListener
            {
                ShouldListenTo = source => source.Name == AgentLocksDiagnostics.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _ => s_measured++,
            };
            ActivitySource.AddActivityListener(s_spans);
            logging = LoggerFactory.Create(builder => builder.AddProvider(new CountingProvider()).SetMinimumLevel(LogLevel.Trace));
        }

        _store = new InMemoryReservationStore(new ReservationStoreOptions { LoggerFactory = logging });
        await _store.RegisterAgentAsync(Agent);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        s_meters?.Dispose();
        s_spans?.Dispose();
    }

    [Benchmark(Description = "reserve+release, in memory")]
    public async Task RoundTrip()
    {
        var result = await _store.TryReserveAsync(new ReservationRequest(Agent, Scope, Bead));
        await result.Handle!.DisposeAsync();
    }

    /// <summary>A logger that formats every event, as a real sink would, and counts it.</summary>
    private sealed class CountingProvider : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => s_measured += formatter(state, exception).Length;

        public void Dispose()
        {
        }
    }
}
