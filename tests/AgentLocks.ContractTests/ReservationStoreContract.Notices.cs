using Xunit;

namespace AgentLocks.ContractTests;

/// <summary>A previous holder learns that its reservation was taken over or swept, until it acknowledges.</summary>
public abstract partial class ReservationStoreContract
{
    [Fact]
    public async Task A_takeover_leaves_the_previous_holder_a_notice_that_status_shows_until_acknowledged()
    {
        var store = await StoreWithAgentsAsync();
        await store.ReserveAsync(Request(AgentA, "src/auth", TimeSpan.FromMinutes(5)));
        await AdvanceAsync(TimeSpan.FromMinutes(6));
        await store.ReserveAsync(Request(AgentB, "src/auth/login.cs") with { TakeoverStale = true });

        var notice = Assert.Single((await store.GetStatusAsync(new StatusQuery { Agent = AgentA })).UnackedRequiredMessages);
        Assert.Equal("agent-a", notice.ToAgent);
        Assert.Equal("agent-b", notice.FromAgent);
        Assert.Equal(Bead.Value, notice.BeadId);
        Assert.Equal($"bead:{Bead}", notice.ThreadId);
        Assert.Equal("HANDOFF", notice.Category);
        Assert.Equal("unread", notice.State);
        Assert.True(notice.RequiresAck);
        Assert.Null(notice.AckedAt);
        Assert.NotNull(notice.CreatedAt);
        Assert.Contains("src/auth", notice.Subject, StringComparison.Ordinal);
        Assert.Contains("agent-b", notice.Body, StringComparison.Ordinal);
        Assert.Matches("^msg_[0-9]{8}_[0-9]{6}_[0-9a-f]+$", notice.MessageId);
        Assert.Empty((await store.GetStatusAsync(new StatusQuery { Agent = AgentB })).UnackedRequiredMessages);

        // Only the recipient acknowledges it; then status stops showing it.
        var refused = await Assert.ThrowsAsync<AgentLocksException>(() => store.AcknowledgeMessageAsync(AgentB, notice.MessageId));
        Assert.Equal(ErrorCode.MessageNotFound, refused.Code);
        var acked = await store.AcknowledgeMessageAsync(AgentA, notice.MessageId);
        Assert.Equal("acked", acked.State);
        Assert.NotNull(acked.AckedAt);
        Assert.NotNull(acked.ReadAt);
        Assert.Empty((await store.GetStatusAsync(new StatusQuery { Agent = AgentA })).UnackedRequiredMessages);
    }

    [Fact]
    public async Task A_sweep_after_expiry_notices_the_registered_holder_once()
    {
        var store = await StoreWithAgentsAsync();
        await store.ReserveAsync(Request(AgentA, "src/auth", TimeSpan.FromMinutes(5)));
        await AdvanceAsync(TimeSpan.FromMinutes(6));

        // The sweeping status already shows it, and the next one still does (it was delivered, not only reported).
        var swept = Assert.Single((await store.GetStatusAsync()).UnackedRequiredMessages);
        var again = Assert.Single((await store.GetStatusAsync(new StatusQuery { Agent = AgentA })).UnackedRequiredMessages);
        Assert.Equal(swept.MessageId, again.MessageId);
        Assert.Equal("agentlocks", again.FromAgent);
        Assert.Contains("expired", again.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Releasing_renewing_or_retaking_ones_own_scope_sends_no_notice()
    {
        var store = await StoreWithAgentsAsync();
        await store.ReserveAsync(Request(AgentA, "src/auth", TimeSpan.FromMinutes(5)));
        await AdvanceAsync(TimeSpan.FromMinutes(6));
        await using var again = await store.ReserveAsync(Request(AgentA, "src/auth"));
        await store.ReleaseAsync(AgentA, ScopePattern.Parse("src/auth"));

        Assert.Empty((await store.GetStatusAsync()).UnackedRequiredMessages);
    }

    [Fact]
    public async Task Acknowledging_a_message_id_that_could_name_a_path_is_invalid_args()
    {
        var store = await StoreWithAgentsAsync();
        var refused = await Assert.ThrowsAsync<AgentLocksException>(() => store.AcknowledgeMessageAsync(AgentA, "../agents/agent-a"));
        Assert.Equal(ErrorCode.InvalidArgs, refused.Code);
    }
}
