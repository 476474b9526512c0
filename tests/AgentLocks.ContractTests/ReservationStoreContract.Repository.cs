using Xunit;

namespace AgentLocks.ContractTests;

/// <summary>Scopes under the store's repository root compare by their relative form, in every store.</summary>
public abstract partial class ReservationStoreContract
{
    /// <summary>A repository checked out at /repo with a second worktree at /work/wt-b.</summary>
    private static readonly RepositoryRoot TwoWorktrees = new(["/repo", "/work/wt-b/"]);

    [Theory]
    [InlineData("/repo/src/auth", "src/auth")]
    [InlineData("src/auth", "/repo/src/auth")]
    [InlineData("/repo/src/auth", "src/auth/login.cs")]
    [InlineData("src/**", "/repo/src/auth/login.cs")]
    [InlineData("/work/wt-b/src/auth", "src/auth")]
    [InlineData("/work/wt-b/src/auth", "/repo/src/auth/**")]
    [InlineData("/repo", "docs/readme.md")]
    public async Task Absolute_and_relative_scopes_under_the_repository_root_conflict(string held, string requested)
    {
        Repository = TwoWorktrees;
        var store = await StoreWithAgentsAsync();
        await using var first = await store.ReserveAsync(Request(AgentA, held));

        var second = await store.TryReserveAsync(Request(AgentB, requested));

        Assert.Equal(ErrorCode.ReservationConflict, second.Error?.Code);

        // Stored verbatim: beadboard reads back the absolute scope it wrote.
        Assert.Equal(held, Assert.Single((await store.GetStatusAsync()).Reservations).Scope.Value);
    }

    [Fact]
    public async Task An_owner_releases_an_absolute_reservation_by_its_relative_form()
    {
        Repository = TwoWorktrees;
        var store = await StoreWithAgentsAsync();
        await store.ReserveAsync(Request(AgentA, "/repo/src/auth"));

        var released = await store.ReleaseAsync(AgentA, ScopePattern.Parse("src/auth"));

        Assert.Equal("/repo/src/auth", released.Scope.Value);
        Assert.Empty((await store.GetStatusAsync()).Reservations);
    }

    [Theory]
    [InlineData(null, "/repo/src/auth", "src/auth")]
    [InlineData("/repo", "/elsewhere/src/auth", "src/auth")]
    [InlineData("/repo", "/repository/src/auth", "src/auth")]
    public async Task Without_a_root_or_outside_it_absolute_and_relative_scopes_do_not_overlap(string? root, string held, string requested)
    {
        Repository = root is null ? null : new RepositoryRoot([root]);
        var store = await StoreWithAgentsAsync();
        await using var first = await store.ReserveAsync(Request(AgentA, held));

        await using var second = await store.ReserveAsync(Request(AgentB, requested));

        Assert.Equal(2, (await store.GetStatusAsync()).Reservations.Count);
    }
}
