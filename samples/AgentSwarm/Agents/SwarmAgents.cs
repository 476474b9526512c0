using AgentLocks;

namespace AgentSwarm.Agents;

/// <summary>
/// What the agent process needs of an agent class; the source generator implements all of it from the
/// attributes (<c>AgentId</c> and <c>ReserveScopesAsync</c> are generated static members).
/// </summary>
internal interface ISwarmAgent
{
    static abstract AgentId AgentId { get; }

    static abstract Task<ReservationSetHandle> ReserveScopesAsync(IReservationStore store, BeadId bead, CancellationToken ct = default);

    static abstract Task<ReservationSetHandle> ReserveScopesAsync(IReservationStore store, BeadId bead, TimeSpan wait, CancellationToken ct = default);
}

// The swarm: scopes overlap on purpose (src/auth/** covers src/auth/login.cs, docs/** covers docs/api.md ...).
// No TTL is declared, so every reservation takes the store's default lease, which the sample keeps short.
[AgentIdentity("auth-refactorer")]
[ReservesScope("src/auth/**")]
[ReservesScope("docs/auth.md", Mode = ReservationMode.Shared)]
internal sealed partial class AuthRefactorer : ISwarmAgent;

[AgentIdentity("login-fixer")]
[ReservesScope("src/auth/login.cs")]
[ReservesScope("tests/auth/**")]
internal sealed partial class LoginFixer : ISwarmAgent;

[AgentIdentity("api-builder")]
[ReservesScope("src/api/**")]
[ReservesScope("docs/api.md")]
internal sealed partial class ApiBuilder : ISwarmAgent;

[AgentIdentity("order-tuner")]
[ReservesScope("src/api/orders.cs")]
[ReservesScope("src/core/config.cs")]
internal sealed partial class OrderTuner : ISwarmAgent;

[AgentIdentity("core-cleaner")]
[ReservesScope("src/core/**")]
internal sealed partial class CoreCleaner : ISwarmAgent;

[AgentIdentity("docs-writer")]
[ReservesScope("docs/**")]
internal sealed partial class DocsWriter : ISwarmAgent;

[AgentIdentity("test-writer")]
[ReservesScope("tests/**")]
[ReservesScope("src/core/util.cs", Mode = ReservationMode.Shared)]
internal sealed partial class TestWriter : ISwarmAgent;

[AgentIdentity("session-keeper")]
[ReservesScope("src/auth/session.cs")]
[ReservesScope("src/core/util.cs")]
internal sealed partial class SessionKeeper : ISwarmAgent;
