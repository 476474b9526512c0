using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// The store's own data source keeps sessions (no <c>DISCARD ALL</c> on every return to the pool) and prepares its
/// statements, unless the connection string says otherwise; other users of a connection string get Npgsql's defaults.
/// </summary>
public sealed class SessionReuseTests
{
    [Fact]
    public void The_store_reuses_sessions_and_prepares_statements_by_default()
    {
        using var source = PostgresConnector.Build("Host=127.0.0.1;Username=postgres", reuseSessions: true);

        var built = new NpgsqlConnectionStringBuilder(source.ConnectionString);
        Assert.True(built.NoResetOnClose);
        Assert.Equal(32, built.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;No Reset On Close=false;Max Auto Prepare=0", true)] // what the connection string sets is kept
    [InlineData("Host=127.0.0.1;noresetonclose=false;MAXAUTOPREPARE=0", true)]
    [InlineData("Host=127.0.0.1", false)] // without session reuse the defaults are Npgsql's
    public void Sessions_are_reset_and_nothing_prepared_where_the_string_or_the_caller_says_so(string connectionString, bool reuseSessions)
    {
        using var source = PostgresConnector.Build(connectionString, reuseSessions);

        var built = new NpgsqlConnectionStringBuilder(source.ConnectionString);
        Assert.False(built.NoResetOnClose);
        Assert.Equal(0, built.MaxAutoPrepare);
    }
}
