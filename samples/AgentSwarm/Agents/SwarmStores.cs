using System.Diagnostics;
using AgentLocks;
using AgentLocks.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Agents;

/// <summary>
/// The backend an agent works with, from the generic host's container (<c>AddAgentLocks</c>): the embedded file
/// store and worker directories under the run directory, or one PostgreSQL schema per run for both reservations
/// and identity locks (<c>--postgres</c>). The host's logging goes to stderr, which the orchestrator shows, since
/// stdout carries the agent's events.
/// </summary>
internal sealed class SwarmStores : IAsyncDisposable
{
    /// <summary>How long a restarted agent waits for the server to end its killed predecessor's session.</summary>
    private static readonly TimeSpan IdentityWait = TimeSpan.FromSeconds(30);

    private readonly AgentContext _context;
    private readonly IHost _host;
    private readonly PostgresWorkerIdentityLocks? _postgresLocks;

    private SwarmStores(AgentContext context, IHost host)
    {
        _context = context;
        _host = host;
        Store = host.Services.GetRequiredService<IReservationStore>();
        _postgresLocks = context.Options.Postgres is null ? null : host.Services.GetRequiredService<PostgresWorkerIdentityLocks>();
    }

    public IReservationStore Store { get; }

    public static SwarmStores Open(AgentContext context)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);

        // TTLs are whole minutes: one minute is the shortest lease. On the file store the run's accelerated clock
        // makes it a few seconds; PostgreSQL keeps time itself, so there it is a real minute.
        var policy = new ReservationPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(1));
        if (context.Options.Postgres is { } connection)
        {
            builder.Services.AddAgentLocks(o =>
            {
                o.UsePostgres(connection);
                o.PostgresSchema = context.Options.PostgresSchema;
                o.Policy = policy;
            });
        }
        else
        {
            builder.Services.AddSingleton<TimeProvider>(context.Clock);
            builder.Services.AddAgentLocks(o =>
            {
                o.UseFileStore(context.Layout.Store);
                o.Policy = policy;
            });
        }

        return new SwarmStores(context, builder.Build());
    }

    /// <summary>
    /// Takes the agent's worker identity: one live process per worker. Returns the held lock and, when it replaced
    /// a dead holder, a line that says so.
    /// </summary>
    public async Task<(IAsyncDisposable Held, string? Replaced)> AcquireIdentityAsync(CancellationToken cancellationToken)
    {
        var role = _context.Options.Role!;
        if (_postgresLocks is null)
        {
            // A restarted agent takes over its dead predecessor's lock file at once.
            var held = await new WorkerIdentityLock(_context.Layout.Worker(role)).AcquireAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return (held, held.TookOver is { } old ? $"took over the {old.State.ToWireName()} lock of pid {old.Holder?.Pid}: {old.Reason}" : null);
        }

        // The lock lives in the holder's database session: the server frees it when it sees the killed process's connection close.
        var waited = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            var held = await _postgresLocks.ForWorker(WorkerId.Parse(role)).TryAcquireAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (held is not null)
            {
                return (held, attempt > 1 ? $"after {waited.Elapsed.TotalSeconds:0.0} s, when the server had ended the previous holder's session" : null);
            }

            if (waited.Elapsed > IdentityWait)
            {
                throw new TimeoutException($"The worker identity {role} is still held after {IdentityWait.TotalSeconds} s.");
            }

            // Nothing tells us when the server notices the dead connection: ask again shortly.
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The container disposes the stores it made.</summary>
    public ValueTask DisposeAsync() => ((IAsyncDisposable)_host).DisposeAsync();
}
