namespace AgentLocks.Postgres.Tests;

/// <summary>
/// Reads every lease a schema ever granted, with the server's own grant and end times, and finds any two that
/// conflicted (overlapping scopes, different agents, one exclusive) while both were held. This is the judge of
/// the race and restart tests: it sees grants whose answer a client never received, too.
/// </summary>
internal static class GrantLedgerCheck
{
    public sealed record Lease(string Id, ScopePattern Scope, string Agent, bool Shared, DateTime From, DateTime? To, long Token);

    public static async Task<IReadOnlyList<Lease>> ReadAsync(string schema)
    {
        await using var connection = new Npgsql.NpgsqlConnection(PostgresTestServer.ConnectionString);
        await connection.OpenAsync();
        // A row's end: released_at, or the end of the history entry that ended it (expired or taken over).
        await using var command = new Npgsql.NpgsqlCommand($"""
            SELECT r.reservation_id, r.scope, r.agent_id, r.mode = 'shared', r.created_at,
                   coalesce(r.released_at, (SELECT min(h.recorded_at) FROM "{schema}".history h
                                            WHERE h.reservation_id = r.reservation_id AND h.state <> 'active')),
                   r.fencing_token
            FROM "{schema}".reservations r
            """, connection);
        var leases = new List<Lease>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            leases.Add(new Lease(reader.GetString(0), ScopePattern.Parse(reader.GetString(1)), reader.GetString(2), reader.GetBoolean(3),
                reader.GetDateTime(4), reader.IsDBNull(5) ? null : reader.GetDateTime(5), reader.GetInt64(6)));
        }

        return leases;
    }

    /// <summary>Every pair of leases that conflicted while both were held; empty when the store kept its promise.</summary>
    public static List<string> DoubleGrants(IReadOnlyList<Lease> leases)
    {
        var found = new List<string>();
        for (var i = 0; i < leases.Count; i++)
        {
            for (var j = i + 1; j < leases.Count; j++)
            {
                var (a, b) = (leases[i], leases[j]);
                var heldTogether = a.From < (b.To ?? DateTime.MaxValue) && b.From < (a.To ?? DateTime.MaxValue);
                if (heldTogether && a.Agent != b.Agent && !(a.Shared && b.Shared) && a.Scope.Overlaps(b.Scope))
                {
                    found.Add($"{a.Id} ({a.Agent} {a.Scope}) and {b.Id} ({b.Agent} {b.Scope})");
                }
            }
        }

        return found;
    }
}
