namespace AgentLocks.Cli.Mcp;

/// <summary>
/// Who this server acts for: one server is one agent. <c>--agent</c> (or <c>$AGENTLOCKS_AGENT</c>) fixes it at
/// start; otherwise the first <c>register</c> call names it. Scopes are taken relative to the repository root every
/// command uses (<c>--repo</c>, <c>$AGENTLOCKS_REPO</c> or git), so an editor's absolute file paths meet other agents'
/// relative scopes.
/// </summary>
internal sealed class McpAgent(IReservationStore store, AgentId? fixedAgent, RepositoryRoot repository)
{
    private readonly object _gate = new();
    private AgentId? _agent = fixedAgent;
    private bool _registered;

    public IReservationStore Store { get; } = store;

    /// <summary>The agent given at start, if any.</summary>
    public AgentId? Fixed { get; } = fixedAgent;

    /// <summary>The agent if it is named yet, else null.</summary>
    public AgentId? Known
    {
        get
        {
            lock (_gate)
            {
                return _agent;
            }
        }
    }

    /// <summary>
    /// The agent, or <c>AGENT_NOT_FOUND</c> telling the model to call <c>register</c> first. An agent given at start
    /// is registered on first use (which keeps any role and display name it has), so configuration alone is enough.
    /// </summary>
    public async Task<AgentId> CurrentAsync(CancellationToken cancellationToken)
    {
        var agent = Known ?? throw new AgentLocksException(ErrorCode.AgentNotFound,
            "This server does not know which agent you are yet. Call register with your agent id first.");
        if (!Volatile.Read(ref _registered))
        {
            await Store.RegisterAgentAsync(agent, null, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _registered, true);
        }

        return agent;
    }

    /// <summary>Names the agent of this server (the <c>register</c> tool registers it); another name than the one it has is refused.</summary>
    public void Name(AgentId agent)
    {
        lock (_gate)
        {
            if (_agent is { } current && current != agent)
            {
                throw ToolArguments.Invalid(Fixed is null
                    ? $"This server already acts for agent {current}; one server is one agent."
                    : $"This server was started for agent {current} (--agent or AGENTLOCKS_AGENT); one server is one agent.");
            }

            _agent = agent;
        }
    }

    /// <summary>Marks the agent registered, so the first use does not register it again.</summary>
    public void Registered() => Volatile.Write(ref _registered, true);

    /// <summary>A scope from a path or glob: absolute paths under the repository become relative to it.</summary>
    public ScopePattern Scope(string text)
    {
        try
        {
            return repository.Relative(ScopePattern.Parse(text));
        }
        catch (FormatException e)
        {
            throw ToolArguments.Invalid($"'{text}' is not a scope: {e.Message}");
        }
    }
}
