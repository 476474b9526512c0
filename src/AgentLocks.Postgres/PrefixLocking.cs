using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// Multi-granularity locking by literal scope prefix (docs/postgres.md, "Why two overlapping exclusive grants
/// cannot both commit"). A decision about one scope takes, transaction-scoped, the schema's lock shared, the lock
/// of each shorter prefix of its literal prefix shared and the lock of its own prefix exclusive; a decision
/// about everything, or about a scope with an empty prefix (<c>**</c>), takes the schema's lock exclusive. So two
/// decisions wait for each other when one prefix starts the other, which two overlapping scopes' prefixes always
/// do, and disjoint scopes never wait. Every decision takes the schema's lock first and the others in ascending
/// key order: one global order, so no deadlock. The schema's lock is the one every decision of version 1 and 2
/// took exclusive, so a store of an older version still excludes every newer decision during a rolling upgrade.
/// </summary>
internal static class PrefixLocking
{
    /// <summary>The lock statements of a decision about <paramref name="focus"/>, in the order to take them.</summary>
    public static IEnumerable<NpgsqlBatchCommand> Locks(PostgresSchema schema, LedgerFocus focus)
    {
        if (focus.Id is not null)
        {
            yield break; // a read-only lookup of one row waits for nobody
        }

        var prefix = focus.Scope is { } scope ? ScopeGlob.LiteralPrefix(scope.Value) : string.Empty;
        var root = schema.LockKey("reservations");
        if (prefix.Length == 0)
        {
            yield return new($"SELECT pg_advisory_xact_lock({root})");
            yield break;
        }

        yield return new($"SELECT pg_advisory_xact_lock_shared({root})");
        var own = Key(schema, prefix);
        var keys = Ancestors(focus.Scope!.Value, prefix).Select(a => (Key: Key(schema, a), Exclusive: false))
            .Append((Key: own, Exclusive: true))
            .GroupBy(k => k.Key, (key, modes) => (Key: key, Exclusive: modes.Any(m => m.Exclusive))) // a hash collision merges two
            .OrderBy(k => k.Key);
        foreach (var (key, exclusive) in keys)
        {
            yield return new(exclusive ? "SELECT pg_advisory_xact_lock($1)" : "SELECT pg_advisory_xact_lock_shared($1)")
            {
                Parameters = { new() { Value = key } },
            };
        }
    }

    /// <summary>
    /// The condition (on <c>scope_prefix</c>) of the active rows a decision about a scope must see:
    /// rows whose prefix starts the scope's (its ancestors and itself) or starts with it (below it), and rows of
    /// older versions, which have none. Its three parameters come from <see cref="FilterParameters"/>.
    /// </summary>
    public const string Filter = "(scope_prefix IS NULL OR scope_prefix = ANY($1) OR (scope_prefix >= $2 AND scope_prefix < $3))";

    /// <summary>The parameters of <see cref="Filter"/>; the column compares bytewise (<c>COLLATE "C"</c>).</summary>
    public static object[] FilterParameters(ScopePattern scope)
    {
        var prefix = ScopeGlob.LiteralPrefix(scope.Value);
        if (!scope.IsPath)
        {
            return [new[] { prefix }, prefix, prefix]; // only itself: an empty range below it
        }

        // Every text that starts with "a/b/" lies in ["a/b/", "a/b0"): '0' follows '/'.
        return [Ancestors(scope, prefix).Prepend(string.Empty).ToArray(), prefix, prefix[..^1] + "0"];
    }

    /// <summary>The non-empty prefixes shorter than a path scope's own (<c>a/</c>, <c>a/b/</c> for <c>a/b/c/</c>).</summary>
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

    /// <summary>A prefix's lock key: 64 bits of a hash of the schema and the prefix (a collision only makes two prefixes wait for each other).</summary>
    internal static long Key(PostgresSchema schema, string prefix)
        => BinaryPrimitives.ReadInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"agentlocks:{schema.Name}:prefix:{prefix}")));
}
