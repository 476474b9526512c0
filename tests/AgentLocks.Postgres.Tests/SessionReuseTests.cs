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
    [InlineData("Host=127.0.0.1;No Reset On Close=false;Max Auto Prepare=0")]
    [InlineData("Host=127.0.0.1;noresetonclose=false;MAXAUTOPREPARE=0")]
    public void What_the_connection_string_sets_is_kept(string connectionString)
    {
        using var source = PostgresConnector.Build(connectionString, reuseSessions: true);

        var built = new NpgsqlConnectionStringBuilder(source.ConnectionString);
        Assert.False(built.NoResetOnClose);
        Assert.Equal(0, built.MaxAutoPrepare);
    }

    [Fact]
    public void Without_session_reuse_the_defaults_are_npgsqls()
    {
        using var source = PostgresConnector.Build("Host=127.0.0.1", reuseSessions: false);

        var built = new NpgsqlConnectionStringBuilder(source.ConnectionString);
        Assert.False(built.NoResetOnClose);
        Assert.Equal(0, built.MaxAutoPrepare);
    }
}
