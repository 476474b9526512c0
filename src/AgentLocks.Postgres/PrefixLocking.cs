using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// Multi-granularity locking by literal scope prefix (docs/postgres.md, "Why two overlapping exclusive grants
/// cannot both commit"). A decision about some scopes takes, transaction-scoped, the schema's lock shared, the
/// lock of each shorter prefix of each scope's literal prefix shared and the lock of each scope's own prefix
/// exclusive; a decision about everything, or about a scope with an empty prefix (<c>**</c>), takes the schema's
/// lock exclusive. So two decisions wait for each other when one's prefix starts the other's, which two
/// overlapping scopes' prefixes always do, and decisions about disjoint scopes never wait. Every decision takes
/// the schema's lock first and the others in ascending key order: one global order, so no deadlock. The schema's
/// lock is the one every decision of schema versions 1 to 3 took exclusive, so an older store still excludes
/// every newer decision during a rolling upgrade.
/// </summary>
internal static class PrefixLocking
{
    /// <summary>
    /// The one statement that takes the locks of a decision about <paramref name="focus"/>, in the order to take them
    /// (the rows of <c>unnest</c> are locked one after another, in array order, and the count ends after the last),
    /// with its two parameters numbered from <paramref name="first"/>; null for a lookup, which takes none. None is
    /// taken when the SQL condition <paramref name="unless"/> holds.
    /// </summary>
    public static NpgsqlBatchCommand? Lock(PostgresSchema schema, LedgerFocus focus, int first = 1, string? unless = null)
    {
        if (focus.Id is not null)
        {
            return null; // a read-only lookup of one row waits for nobody
        }

        var prefixes = focus.Scopes?.Select(scope => (Scope: scope, Prefix: ScopeGlob.LiteralPrefix(scope.Value))).ToList();
        var everything = prefixes is null || prefixes.Any(p => p.Prefix.Length == 0);
        var keys = everything
            ? []
            : prefixes!
                .SelectMany(p => Ancestors(p.Scope, p.Prefix).Select(a => (Key: Key(schema, a), Exclusive: false)).Append((Key: Key(schema, p.Prefix), Exclusive: true)))
                .GroupBy(k => k.Key, (key, modes) => (Key: key, Exclusive: modes.Any(m => m.Exclusive))) // the strongest mode per key, once
                .OrderBy(k => k.Key)
                .ToList();
        return new($"""
            SELECT count(CASE {(unless is null ? "" : $"WHEN {unless} THEN NULL ")}WHEN exclusive THEN pg_advisory_xact_lock(key) ELSE pg_advisory_xact_lock_shared(key) END)
            FROM unnest(array_prepend({schema.LockKey("reservations")}, ${first}::bigint[]), array_prepend({(everything ? "true" : "false")}, ${first + 1}::boolean[])) AS locks(key, exclusive)
            """)
        {
            Parameters = { new() { Value = keys.Select(k => k.Key).ToArray() }, new() { Value = keys.Select(k => k.Exclusive).ToArray() } },
        };
    }

    /// <summary>
    /// The conditions (on <c>scope_prefix</c>, which compares bytewise: <c>COLLATE "C"</c>) of the active rows a
    /// decision about <paramref name="scopes"/> must see, one per kind, with their parameter values: rows of older
    /// versions, which have no prefix; rows whose prefix starts a scope's (its ancestors and itself); rows whose
    /// prefix starts with a path scope's (below it). Each is an index condition on its own, so the read is their
    /// <c>UNION</c>: OR-ed in one condition, they were read by a bitmap scan, which never marks an ended row's index
    /// entry dead, so every decision visited every lease of its prefix ended since the last vacuum. Null when a
    /// scope's prefix is empty: every row can overlap it.
    /// </summary>
    public static (List<string> Conditions, List<object> Values)? Filter(IReadOnlyList<ScopePattern> scopes)
    {
        var prefixes = scopes.Select(scope => (Scope: scope, Prefix: ScopeGlob.LiteralPrefix(scope.Value))).ToList();
        if (prefixes.Any(p => p.Prefix.Length == 0))
        {
            return null;
        }

        var exact = prefixes.SelectMany(p => p.Scope.IsPath ? Ancestors(p.Scope, p.Prefix).Prepend(string.Empty) : [p.Prefix]).Distinct().ToArray();
        List<object> values = [exact];
        List<string> conditions = ["scope_prefix IS NULL", "scope_prefix = ANY($1)"];
        foreach (var (_, prefix) in prefixes.Where(p => p.Scope.IsPath))
        {
            // Every text that starts with "a/b/" lies in ["a/b/", "a/b0"): '0' follows '/'.
            values.Add(prefix);
            values.Add(prefix[..^1] + "0");
            conditions.Add($"scope_prefix >= ${values.Count - 1} AND scope_prefix < ${values.Count}");
        }

        return (conditions, values);
    }

    /// <summary>
    /// Planner settings, as columns of a statement, for the rest of a decision's transaction: no bitmap and no
    /// sequential scans, so its read of the active rows is a plain index scan whatever the statistics expect. A plain
    /// index scan marks the index entry of a row it finds dead to everyone, so later reads skip it; a bitmap scan never
    /// does, and a sequential scan reads every row version, so with either a decision's read grew with the leases of its
    /// range ended since the last vacuum (16 pages per read after 100 and 40 after 1,100 where the last <c>ANALYZE</c>
    /// had found 300 leases in the range).
    /// </summary>
    public const string IndexScansOnly = "set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true)";

    /// <summary>A prefix's lock key: 64 bits of a hash of the schema and the prefix (a collision only makes two prefixes wait for each other).</summary>
    internal static long Key(PostgresSchema schema, string prefix)
        => BinaryPrimitives.ReadInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"agentlocks:{schema.Name}:prefix:{prefix}")));

    /// <summary>The non-empty prefixes shorter than a path scope's own: <c>a/</c> and <c>a/b/</c> for <c>a/b/c/</c>; <c>/</c> too for an absolute one.</summary>
    private static IEnumerable<string> Ancestors(ScopePattern scope, string prefix)
    {
        if (!scope.IsPath)
        {
            yield break;
        }

        for (var end = prefix.IndexOf('/', StringComparison.Ordinal); end >= 0 && end < prefix.Length - 1; end = prefix.IndexOf('/', end + 1))
        {
            yield return prefix[..(end + 1)];
        }
    }
}
