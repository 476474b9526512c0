using AgentLocks.Extensions.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the AgentLocks store's health check.</summary>
/// <remarks>Usage: <c>services.AddHealthChecks().AddAgentLocks();</c></remarks>
public static class AgentLocksHealthChecksBuilderExtensions
{
    /// <summary>Adds <see cref="AgentLocksHealthCheck"/> for the registered store (call <c>AddAgentLocks</c> too).</summary>
    /// <remarks>Usage: <c>services.AddHealthChecks().AddAgentLocks(tags: ["ready"]);</c></remarks>
    public static IHealthChecksBuilder AddAgentLocks(this IHealthChecksBuilder builder, string name = "agentlocks", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<AgentLocksHealthCheck>(name, failureStatus, tags ?? []);
    }
}
