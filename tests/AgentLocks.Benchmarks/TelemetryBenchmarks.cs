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
public sealed class TelemetryBenchmarks : IDisposable
{
    private static readonly AgentId Agent = AgentId.Parse("bench");
    private static readonly BeadId Bead = BeadId.Parse("bd-1");
    private static readonly ScopePattern Scope = ScopePattern.Parse("src/bench/**");

    private InMemoryReservationStore _store = null!;
    private MeterListener? _meters;
    private ActivityListener? _spans;
    private long _measured;

    [Params(false, true)]
    public bool Listening { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        ILoggerFactory? logging = null;
        if (Listening)
        {
            _meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == AgentLocksDiagnostics.MeterName)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _meters.SetMeasurementEventCallback<long>((_, value, _, _) => _measured += value);
            _meters.SetMeasurementEventCallback<double>((_, _, _, _) => _measured++);
            _meters.Start();
            _spans = new ActivityListener
            {
                ShouldListenTo = source => source.Name == AgentLocksDiagnostics.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _ => _measured++,
            };
            ActivitySource.AddActivityListener(_spans);
            logging = LoggerFactory.Create(builder => builder.AddProvider(new CountingProvider(this)).SetMinimumLevel(LogLevel.Trace));
        }

        _store = new InMemoryReservationStore(new ReservationStoreOptions { LoggerFactory = logging });
        await _store.RegisterAgentAsync(Agent);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _meters?.Dispose();
        _spans?.Dispose();
    }

    [Benchmark(Description = "reserve+release, in memory")]
    public async Task RoundTrip()
    {
        var result = await _store.TryReserveAsync(new ReservationRequest(Agent, Scope, Bead));
        await result.Handle!.DisposeAsync();
    }

    /// <summary>A logger that formats every event, as a real sink would, and counts it.</summary>
    private sealed class CountingProvider(TelemetryBenchmarks owner) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner._measured += formatter(state, exception).Length;

        public void Dispose()
        {
        }
    }
}
