using System.Diagnostics.Metrics;
using AgentLocks;
using AgentLocks.Extensions.Hosting;
using AgentLocks.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers AgentLocks in a service collection.</summary>
/// <remarks>Usage: <c>builder.Services.AddAgentLocks(o => o.UseFileStore(root));</c></remarks>
public static class AgentLocksServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IReservationStore"/> (one per container, disposed with it), a
    /// <see cref="IWorkerIdentityLocks"/> on the same backend (with PostgreSQL also as <see cref="PostgresWorkerIdentityLocks"/>),
    /// and a <see cref="WorkerIdentityLockFactory"/> over it.
    /// Options bind from the <c>AgentLocks</c> configuration section when the container has an
    /// <c>IConfiguration</c>; <paramref name="configure"/> applies after it. The stores use the container's
    /// <see cref="TimeProvider"/> (the system clock when none), <see cref="ILoggerFactory"/> and <see cref="IMeterFactory"/>.
    /// </summary>
    /// <remarks>Usage: <c>services.AddAgentLocks(o => o.UsePostgres(connectionString));</c></remarks>
    public static IServiceCollection AddAgentLocks(this IServiceCollection services, Action<AgentLocksOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.AddOptions<AgentLocksOptions>();
        services.AddSingleton<IConfigureOptions<AgentLocksOptions>>(sp => new ConfigureNamedOptions<AgentLocksOptions>(Microsoft.Extensions.Options.Options.DefaultName, o =>
        {
            if (sp.GetService<IConfiguration>() is { } configuration)
            {
                o.Bind(configuration.GetSection(AgentLocksOptions.SectionName));
            }

            configure?.Invoke(o);
        }));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IReservationStore>(CreateStore);
        services.TryAddSingleton(sp =>
        {
            var o = ValidOptions(sp);
            return o.PostgresDataSource is { } dataSource
                ? new PostgresWorkerIdentityLocks(dataSource, PostgresOptions(sp, o))
                : new PostgresWorkerIdentityLocks(o.PostgresConnectionString
                    ?? throw new InvalidOperationException("PostgresWorkerIdentityLocks needs AgentLocks on PostgreSQL (UsePostgres)."), PostgresOptions(sp, o));
        });
        services.TryAddSingleton<IWorkerIdentityLocks>(sp => ValidOptions(sp).FileStoreRoot is not null
            ? new FileWorkerIdentityLocks(sp.GetRequiredService<TimeProvider>())
            : sp.GetRequiredService<PostgresWorkerIdentityLocks>());
        services.TryAddSingleton(sp => new WorkerIdentityLockFactory(sp.GetRequiredService<IWorkerIdentityLocks>()));
        return services;
    }

    private static AgentLocksOptions ValidOptions(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<AgentLocksOptions>>().Value;
        options.Validate();
        return options;
    }

    private static IReservationStore CreateStore(IServiceProvider services)
    {
        var o = ValidOptions(services);
        if (o.FileStoreRoot is { } root)
        {
            return new FileReservationStore(root, new ReservationStoreOptions
            {
                TimeProvider = services.GetRequiredService<TimeProvider>(),
                LockTimeout = o.LockTimeout,
                Policy = o.Policy,
                LoggerFactory = services.GetService<ILoggerFactory>(),
                MeterFactory = services.GetService<IMeterFactory>(),
            });
        }

        return o.PostgresDataSource is { } dataSource
            ? new PostgresReservationStore(dataSource, PostgresOptions(services, o))
            : new PostgresReservationStore(o.PostgresConnectionString!, PostgresOptions(services, o));
    }

    private static PostgresStoreOptions PostgresOptions(IServiceProvider services, AgentLocksOptions o) => new()
    {
        Schema = o.PostgresSchema,
        HeartbeatInterval = o.HeartbeatInterval,
        Policy = o.Policy,
        TimeProvider = services.GetRequiredService<TimeProvider>(),
        LoggerFactory = services.GetService<ILoggerFactory>(),
        MeterFactory = services.GetService<IMeterFactory>(),
    };
}
