using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>Another client in the middle of a decision, for the tests that make others wait for one.</summary>
internal static class DecisionInProgress
{
    /// <summary>
    /// An open transaction about <paramref name="scope"/> that holds exactly the locks such a decision takes, until it
    /// is committed or its connection disposed.
    /// </summary>
    public static async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> StartAsync(string schema, string scope)
    {
        var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var locks = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { PrefixLocking.Lock(new PostgresSchema(schema), LedgerFocus.Reserving([ScopePattern.Parse(scope)]))! },
        };
        await locks.ExecuteNonQueryAsync();
        return (connection, transaction);
    }
}
