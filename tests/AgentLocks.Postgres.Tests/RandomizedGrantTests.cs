using CsCheck;
using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// Random swarms against a real server: random overlapping scopes (relative, absolute, glob-first, non-path),
/// modes, agents shared between clients, short waits, releases by handle and by scope, statuses, and a clock jump that
/// expires some leases so later requests meet stale ones (taking them over or not). The judge is the server's
/// own grant ledger (the history, in order): no two overlapping leases of different agents were held at once
/// with one of them exclusive; every fencing token is unique and grows along every chain of overlapping grants;
/// every grant a client was told of is a row, and every row is a grant some client was told of.
/// </summary>
public sealed class RandomizedGrantTests
{
    private static readonly string[] Segments = ["src", "auth", "a.cs", "**", "*", "*.cs"];

    private static readonly Gen<string> Scope = Gen.Frequency(
        (9, Gen.Select(Gen.Int[0, 7], Gen.Int[0, Segments.Length - 1].Array[1, 3],
            (absolute, segments) => (absolute == 0 ? "/" : "") + string.Join('/', segments.Select(s => Segments[s])))),
        (1, Gen.OneOf("deploy:prod", "bead:bd-1")));

    private static readonly Gen<Op> Operation = Gen.Select(Gen.Int[0, 9], Scope, Gen.Bool, Gen.Bool, Gen.OneOf(5, 15), Gen.Int[0, 3],
        (kind, scope, shared, takeover, ttl, wait) => new Op(kind switch { < 6 => Kind.Reserve, < 8 => Kind.ReleaseHandle, 8 => Kind.ReleaseScope, _ => Kind.Status },
            scope, shared, takeover, ttl, wait == 0));

    private static readonly Gen<Client> Clients = Gen.Select(Gen.Int[0, 3], Operation.Array[1, 6], Operation.Array[1, 6],
        (agent, before, after) => new Client(agent, before, after));

    private enum Kind
    {
        Reserve,
        ReleaseHandle,
        ReleaseScope,
        Status,
    }

    [Fact]
    public async Task Random_swarms_never_hold_overlapping_exclusive_grants_at_once()
        => await Gen.Select(Clients.Array[4, 16], Gen.OneOf(0, 7, 30)).SampleAsync(RunAsync, iter: 15, threads: 1);

    private static async Task RunAsync(Client[] clients, int jumpMinutes)
    {
        await using var schema = new TestSchema();
        var options = PostgresTestServer.Options(schema.Name);

        // Half the clients on a data source of their own (no pool reset, prepared statements), half on a shared one.
        // Four connections at most: a queued waiter's try takes its fourth (the watched one, the listener, its place).
        var stores = clients.Select((_, i) => i % 2 == 0
            ? new PostgresReservationStore(PostgresTestServer.ConnectionString + ";Maximum Pool Size=4", options)
            : new PostgresReservationStore(PostgresTestServer.DataSource, options)).ToList();
        var agents = Enumerable.Range(0, 4).Select(i => AgentId.Parse($"agent-{i}")).ToList();
        foreach (var agent in agents)
        {
            await stores[0].RegisterAgentAsync(agent);
        }

        var told = new HashSet<string>();
        var handles = clients.Select(_ => new List<ReservationHandle>()).ToList();
        try
        {
            await RunPhaseAsync(clients.Select(c => c.Before).ToList());
            foreach (var store in stores)
            {
                store.Persistence.Clock.Offset = TimeSpan.FromMinutes(jumpMinutes);
            }

            await RunPhaseAsync(clients.Select(c => c.After).ToList());
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }

        // A renewal may change a lease's mode (shared while another agent shared it, exclusive once that ended), so
        // the judge reads every stretch a lease was held in one mode from the history, not its final mode.
        var stretches = await StretchesAsync(schema.Name);
        var doubleGrants = (
            from a in stretches
            from b in stretches
            where string.CompareOrdinal(a.Id, b.Id) < 0 && a.Agent != b.Agent && !(a.Shared && b.Shared)
                && a.From < b.To && b.From < a.To && a.Scope.Overlaps(b.Scope)
            select $"{a} and {b}").ToList();
        Assert.True(doubleGrants.Count == 0, string.Join("\n", doubleGrants));

        // Decisions about overlapping scopes are serialised and draw their tokens after their locks.
        var leases = await GrantLedgerCheck.ReadAsync(schema.Name);
        Assert.Equal(leases.Count, leases.Select(l => l.Token).Distinct().Count());
        var tokensOutOfOrder = (
            from a in leases
            from b in leases
            where a.From < b.From && a.Token > b.Token && a.Scope.Overlaps(b.Scope)
            select $"{a.Id} {a.Scope} (token {a.Token}) was granted before {b.Id} {b.Scope} (token {b.Token})").ToList();
        Assert.True(tokensOutOfOrder.Count == 0, string.Join("\n", tokensOutOfOrder));
        Assert.Equal(told.Order(), leases.Select(l => l.Id).Order());

        async Task RunPhaseAsync(List<Op[]> phase)
        {
            using var start = new SemaphoreSlim(0);
            var runs = phase.Select((ops, i) => Task.Run(async () =>
            {
                await start.WaitAsync();
                foreach (var op in ops)
                {
                    await ApplyAsync(stores[i], agents[clients[i].Agent], handles[i], op);
                }
            })).ToList();
            start.Release(runs.Count);
            await Task.WhenAll(runs);
        }

        async Task ApplyAsync(PostgresReservationStore store, AgentId agent, List<ReservationHandle> held, Op op)
        {
            var scope = ScopePattern.Parse(op.Scope);
            switch (op.Kind)
            {
                case Kind.Reserve:
                    var result = await store.TryReserveAsync(new ReservationRequest(agent, scope, BeadId.Parse("bd-1"), TimeSpan.FromMinutes(op.TtlMinutes))
                    {
                        Mode = op.Shared ? ReservationMode.Shared : ReservationMode.Exclusive,
                        TakeoverStale = op.Takeover,

                        // A short wait: the waiter queues, and may try as a newcomer that finds others queued.
                        Wait = op.Wait ? TimeSpan.FromMilliseconds(30) : TimeSpan.Zero,
                    });
                    if (result.Succeeded)
                    {
                        held.Add(result.Handle);
                        lock (told)
                        {
                            told.Add(result.Handle.Reservation.Id.Value);
                        }
                    }
                    else
                    {
                        Assert.Contains(result.Error.Code, new[] { ErrorCode.ReservationConflict, ErrorCode.ReservationStaleFound });
                    }

                    break;
                case Kind.ReleaseHandle when held.Count > 0:
                    var index = op.TtlMinutes % held.Count;
                    await held[index].DisposeAsync();
                    held.RemoveAt(index);
                    break;
                case Kind.ReleaseScope:
                    var error = await Record.ExceptionAsync(() => store.ReleaseAsync(agent, scope));
                    if (error is not null)
                    {
                        Assert.Contains(Assert.IsType<AgentLocksException>(error).Code, new[] { ErrorCode.ReservationNotFound, ErrorCode.ReleaseForbidden });
                    }

                    break;
                case Kind.Status:
                    await store.GetStatusAsync();
                    break;
            }
        }
    }

    /// <summary>Every stretch of server time a lease was held in one mode, from its history rows in order.</summary>
    private static async Task<List<Stretch>> StretchesAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(PostgresTestServer.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT reservation_id, event, recorded_at, scope, agent_id, mode = 'shared', expires_at FROM \"{schema}\".history ORDER BY seq", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var open = new Dictionary<string, Stretch>();
        var stretches = new List<Stretch>();
        while (await reader.ReadAsync())
        {
            var (id, at) = (reader.GetString(0), reader.GetDateTime(2));
            if (open.Remove(id, out var held))
            {
                stretches.Add(held with { To = at < held.To ? at : held.To });
            }

            // Held until the next event of the lease or its expiry, whichever comes first: a lapsed lease holds
            // nothing, though its end is written only when someone sweeps, takes over or releases it.
            if (reader.GetString(1) is "Reserved" or "Renewed")
            {
                open[id] = new Stretch(id, ScopePattern.Parse(reader.GetString(3)), reader.GetString(4), reader.GetBoolean(5), at, reader.GetDateTime(6));
            }
        }

        return [.. stretches, .. open.Values];
    }

    private sealed record Stretch(string Id, ScopePattern Scope, string Agent, bool Shared, DateTime From, DateTime To);

    private sealed record Op(Kind Kind, string Scope, bool Shared, bool Takeover, int TtlMinutes, bool Wait);

    private sealed record Client(int Agent, Op[] Before, Op[] After);
}
