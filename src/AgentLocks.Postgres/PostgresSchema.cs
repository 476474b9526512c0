using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>One step of the schema: applied once, in order, and recorded in <c>schema_version</c>.</summary>
/// <param name="Version">Its number; versions start at 1 and have no gaps.</param>
/// <param name="Description">What it adds, for people reading <c>schema_version</c>.</param>
/// <param name="Sql">The statements; <c>{schema}</c> stands for the quoted schema name.</param>
internal sealed record SchemaMigration(int Version, string Description, string Sql);

/// <summary>A store's schema as the server has it: where, which schema, the applied version and the newest this package knows.</summary>
/// <param name="Where">host:port/database, never the password.</param>
/// <param name="Schema">The schema name.</param>
/// <param name="Applied">The newest applied version; 0 when the schema does not exist yet.</param>
/// <param name="Known">The newest version this package knows.</param>
internal sealed record PostgresSchemaState(string Where, string Schema, int Applied, int Known);

/// <summary>
/// Creates and upgrades the tables of one schema. Migrations only add (tables, columns, indexes) or drop what no
/// version's statement needs, so code that knows fewer versions than the database still works against it; that is
/// what makes a rolling upgrade safe.
/// </summary>
internal sealed class PostgresSchema(string name)
{
    /// <summary>Every migration this version of the package knows, oldest first.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(1, "reservations, agents, history, messages, fencing tokens", """
            CREATE SEQUENCE {schema}.fencing_tokens AS bigint START 1;
            CREATE TABLE {schema}.agents (
                agent_id     text PRIMARY KEY,
                display_name text NOT NULL,
                role         text NOT NULL,
                status       text NOT NULL,
                created_at   timestamptz NOT NULL,
                last_seen_at timestamptz NOT NULL,
                version      integer NOT NULL DEFAULT 1
            );
            -- A row is a lease. Released and expired rows stay (state says which), so a late renew or release by
            -- a holder that lost its lease finds its own row, never the next holder's.
            CREATE TABLE {schema}.reservations (
                reservation_id text PRIMARY KEY,
                scope          text NOT NULL,
                agent_id       text NOT NULL,
                bead_id        text NOT NULL,
                mode           text NOT NULL CHECK (mode IN ('exclusive', 'shared')),
                state          text NOT NULL CHECK (state IN ('active', 'released', 'expired')),
                created_at     timestamptz NOT NULL,
                expires_at     timestamptz NOT NULL,
                released_at    timestamptz,
                fencing_token  bigint UNIQUE
            );
            -- Decisions read only the active rows.
            CREATE INDEX reservations_active ON {schema}.reservations (agent_id, scope) WHERE state = 'active';
            CREATE INDEX reservations_bead ON {schema}.reservations (bead_id);
            -- One row per transition, as the core's history entries: the reservation as it was after it.
            CREATE TABLE {schema}.history (
                seq            bigserial PRIMARY KEY,
                event          text NOT NULL,
                recorded_at    timestamptz,
                reservation_id text NOT NULL,
                scope          text NOT NULL,
                agent_id       text NOT NULL,
                bead_id        text NOT NULL,
                mode           text NOT NULL,
                state          text NOT NULL,
                created_at     timestamptz NOT NULL,
                expires_at     timestamptz NOT NULL,
                released_at    timestamptz,
                fencing_token  bigint,
                taken_over_by  text,
                successor      text
            );
            -- Status counts read only the ended ones.
            CREATE INDEX history_ended ON {schema}.history (state) WHERE state <> 'active';
            CREATE TABLE {schema}.messages (
                message_id   text PRIMARY KEY,
                thread_id    text,
                bead_id      text,
                from_agent   text,
                to_agent     text,
                category     text,
                subject      text,
                body         text,
                state        text,
                requires_ack boolean NOT NULL DEFAULT false,
                created_at   timestamptz,
                read_at      timestamptz,
                acked_at     timestamptz
            );
            CREATE INDEX messages_unacked ON {schema}.messages (to_agent) WHERE requires_ack AND acked_at IS NULL;
            """),
        new(2, "worker identity locks", """
            -- Who holds a worker identity. The truth is the session advisory lock of backend_pid; this row says who
            -- that is. A row whose backend no longer holds the lock is stale (its holder died).
            CREATE TABLE {schema}.worker_locks (
                worker_id    text PRIMARY KEY,
                hostname     text NOT NULL,
                pid          integer NOT NULL,
                session_id   text,
                acquired_at  timestamptz NOT NULL,
                backend_pid  integer NOT NULL,
                owner_token  text NOT NULL
            );
            """),
        new(3, "notify waiters when a lease ends", """
            -- Waiters LISTEN on this channel (PostgresChangeListener.Channel): a lease that ends (released, swept as
            -- expired, taken over) announces its scope when its transaction commits.
            CREATE FUNCTION {schema}.notify_reservation_ended() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify(left('agentlocks.' || TG_TABLE_SCHEMA, 63), OLD.scope);
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER reservation_ended AFTER UPDATE OF state ON {schema}.reservations
                FOR EACH ROW WHEN (OLD.state = 'active' AND NEW.state <> 'active')
                EXECUTE FUNCTION {schema}.notify_reservation_ended();
            CREATE TRIGGER reservation_deleted AFTER DELETE ON {schema}.reservations
                FOR EACH ROW WHEN (OLD.state = 'active')
                EXECUTE FUNCTION {schema}.notify_reservation_ended();
            """),
        new(4, "literal scope prefixes, so decisions read and lock only what can overlap", """
            -- The scope's literal prefix (ScopeGlob.LiteralPrefix), compared bytewise. Rows written by versions 1
            -- to 3 have none and are read by every decision until they end.
            ALTER TABLE {schema}.reservations ADD COLUMN scope_prefix text COLLATE "C";
            CREATE INDEX reservations_active_prefix ON {schema}.reservations (scope_prefix) WHERE state = 'active';
            -- The lease-ended notification moves from the trigger to the deciding client, sent just after COMMIT:
            -- a transaction that notifies holds the server's one notification lock through its commit's WAL flush,
            -- so notifying from the releasing transaction made every release of the database wait for every other.
            DROP TRIGGER reservation_ended ON {schema}.reservations;
            DROP TRIGGER reservation_deleted ON {schema}.reservations;
            DROP FUNCTION {schema}.notify_reservation_ended();
            -- A write that must find its row still active fails as a serialization failure (retried) when it does not.
            CREATE FUNCTION {schema}.expect_one(changed bigint) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                IF changed <> 1 THEN
                    RAISE EXCEPTION 'the row changed since it was read' USING ERRCODE = 'serialization_failure';
                END IF;
            END
            $$;
            """),
        new(5, "a free-text reason on reservations", """
            ALTER TABLE {schema}.reservations ADD COLUMN reason text;
            ALTER TABLE {schema}.history ADD COLUMN reason text;
            """),
        new(6, "drops reservations_active, which no decision reads", """
            -- Decisions read by scope prefix (version 4), lookups by reservation_id. The planner, finding both partial
            -- indexes small, took this one for a prefix read and walked every active lease in it. Dropping an index
            -- only changes plans, so older versions still work against this schema.
            DROP INDEX {schema}.reservations_active;
            """),
    ];

    /// <summary>The schema name as given.</summary>
    public string Name { get; } = name;

    /// <summary>The quoted identifier to splice into SQL (the name was validated by <see cref="PostgresStoreOptions"/>).</summary>
    public string Quoted { get; } = "\"" + name + "\"";

    /// <summary>The table name, schema-qualified and quoted.</summary>
    public string Table(string table) => $"{Quoted}.\"{table}\"";

    /// <summary>
    /// The advisory-lock key of <paramref name="purpose"/> in this schema, as SQL. Keys are hashed from the
    /// schema name so two swarms in one database never wait on each other.
    /// </summary>
    public string LockKey(string purpose) => $"hashtextextended('agentlocks:{Name}:{purpose}', 0)";

    /// <summary>
    /// Brings the schema up to the newest of <paramref name="migrations"/>. The check, the DDL and the version
    /// rows run in one transaction under an advisory lock, so processes of different versions starting together
    /// apply each migration exactly once, in order; DDL is transactional, so a crash leaves no half step.
    /// </summary>
    public async Task<int> MigrateAsync(NpgsqlConnection connection, IReadOnlyList<SchemaMigration> migrations, CancellationToken cancellationToken)
    {
        var target = migrations.Count == 0 ? 0 : migrations[^1].Version;
        if (await CurrentVersionAsync(connection, cancellationToken).ConfigureAwait(false) >= target)
        {
            return target;
        }

        // The lock is the session's and taken before the transaction: a transaction takes in other sessions'
        // catalog changes when it starts, so one begun before the migrator it waited for committed could still
        // think the schema missing and collide on CREATE SCHEMA (23505).
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockKey("migrate")})", cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var transactionScope = transaction.ConfigureAwait(false);
            await ExecuteAsync(connection, $"""
                CREATE SCHEMA IF NOT EXISTS {Quoted};
                CREATE TABLE IF NOT EXISTS {Table("schema_version")} (
                    version     integer PRIMARY KEY,
                    description text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                );
                """, cancellationToken).ConfigureAwait(false);
            var current = await CurrentVersionAsync(connection, cancellationToken).ConfigureAwait(false);
            foreach (var migration in migrations.Where(m => m.Version > current))
            {
                await ExecuteAsync(connection, migration.Sql.Replace("{schema}", Quoted, StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
                using var record = new NpgsqlCommand($"INSERT INTO {Table("schema_version")} (version, description) VALUES ($1, $2)", connection);
                record.Parameters.Add(new() { Value = migration.Version });
                record.Parameters.Add(new() { Value = migration.Description });
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return Math.Max(current, target);
        }
        finally
        {
            await UnlockAsync(connection).ConfigureAwait(false);
        }
    }

    /// <summary>The newest applied version; 0 when the schema or its version table does not exist yet.</summary>
    public async Task<int> CurrentVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(
            $"SELECT to_regclass($1) IS NOT NULL", connection);
        command.Parameters.Add(new() { Value = $"{Quoted}.schema_version" });
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
        {
            return 0;
        }

        using var max = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {Table("schema_version")}", connection);
        return (int)(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Gives the migrate lock back; on a broken connection the session, and its lock, ended already.</summary>
    private async Task UnlockAsync(NpgsqlConnection connection)
    {
        try
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({LockKey("migrate")})", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, CancellationToken.None) || e is InvalidOperationException)
        {
            // Nothing to give back: the server released the lock with the session.
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
