using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// The one way this package talks to the server: opens connections, makes sure the schema exists, runs short
/// transactions, and turns every driver failure into an <see cref="AgentLocksException"/> that says where and what.
/// </summary>
internal sealed class PostgresConnector : IAsyncDisposable
{
    private const int MaxSerializationRetries = 100;
    private readonly bool _ownsDataSource;
    private readonly SemaphoreSlim _migrating = new(1, 1);
    private bool _schemaReady;

    public PostgresConnector(string connectionString, PostgresStoreOptions? options, bool reuseSessions = false)
        : this(Build(connectionString, reuseSessions), options, ownsDataSource: true)
    {
    }

    public PostgresConnector(NpgsqlDataSource dataSource, PostgresStoreOptions? options, bool ownsDataSource = false)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        DataSource = dataSource;
        Options = options ?? new PostgresStoreOptions();
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Schema = new PostgresSchema(Options.Schema ?? SearchPathSchema(settings) ?? PostgresStoreOptions.DefaultSchema);
        _ownsDataSource = ownsDataSource;
        Where = $"{settings.Host}:{settings.Port}/{settings.Database ?? settings.Username}";
    }

    public NpgsqlDataSource DataSource { get; }

    public PostgresStoreOptions Options { get; }

    public PostgresSchema Schema { get; }

    /// <summary>host:port/database, for messages; never the password.</summary>
    public string Where { get; }

    /// <summary>
    /// Parses the connection string; a malformed one is the caller's mistake, so <c>INVALID_ARGS</c>. With
    /// <paramref name="reuseSessions"/> (for users that leave no state in a session), a connection goes back to the
    /// pool without <c>DISCARD ALL</c>, so the statements it prepared stay prepared, and the most used statements
    /// are prepared automatically, unless the connection string says otherwise.
    /// </summary>
    public static NpgsqlDataSource Build(string connectionString, bool reuseSessions = false)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        try
        {
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
            {
                builder.ConnectionStringBuilder.ApplicationName = "agentlocks";
            }

            if (reuseSessions)
            {
                var given = GivenKeywords(connectionString);
                if (!given.Contains("noresetonclose"))
                {
                    builder.ConnectionStringBuilder.NoResetOnClose = true;
                }

                if (!given.Contains("maxautoprepare"))
                {
                    builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
                }
            }

            if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.Host))
            {
                throw new ArgumentException("it names no Host");
            }

            return builder.Build();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new AgentLocksException(ErrorCode.InvalidArgs, $"The PostgreSQL connection string is not valid: {e.Message}", e);
        }
    }

    /// <summary>
    /// The keywords <paramref name="connectionString"/> sets, lower case and without spaces (Npgsql accepts both
    /// spellings). Not <see cref="NpgsqlConnectionStringBuilder.ContainsKey"/>: it answers true for every keyword Npgsql
    /// knows, set or not, which once kept both defaults above from ever being applied.
    /// </summary>
    internal static HashSet<string> GivenKeywords(string connectionString)
        => [.. new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(keyword => keyword.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant())];

    /// <summary>Opens a connection with the schema in place.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenRawAsync(DataSource, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e) when (IsDriverFailure(e, cancellationToken))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Translate(e, " (while creating or upgrading the schema)");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The schema's applied version as the server has it (0: not created yet); it is created or upgraded first only
    /// when <paramref name="upgrade"/>.
    /// </summary>
    public async Task<int> AppliedSchemaVersionAsync(bool upgrade, CancellationToken cancellationToken)
    {
        var connection = upgrade
            ? await OpenAsync(cancellationToken).ConfigureAwait(false)
            : await OpenRawAsync(DataSource, cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        try
        {
            return await Schema.CurrentVersionAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsDriverFailure(e, cancellationToken))
        {
            throw Translate(e);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one READ COMMITTED transaction. When a pooled connection turns out to be
    /// dead (the server restarted) before COMMIT was sent, nothing was written, so the work is retried once on a
    /// fresh connection; a failure at or after COMMIT is reported, never retried, because it may have committed.
    /// </summary>
    public Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
        => WithRetryAsync(async (connection, attempt, ct) =>
        {
            var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var transactionScope = transaction.ConfigureAwait(false);
            var result = await work(connection, ct).ConfigureAwait(false);
            attempt.Committing = true;
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/>, which begins and commits its own transaction (with <c>BEGIN</c> in its first
    /// batch and <c>COMMIT</c> in its last, to save round trips), on a connection of the pool. It sets
    /// <see cref="Attempt.Committing"/> before it sends <c>COMMIT</c>: a dead pooled connection found before that
    /// is retried once on a fresh one, and a transaction the server aborts as a serialization failure (40001:
    /// a row it read changed under it) is run again; nothing was written either way.
    /// </summary>
    public async Task<T> WithRetryAsync<T>(Func<NpgsqlConnection, Attempt, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var reconnected = false;
        var serializationFailures = 0;
        while (true)
        {
            var attempt = new Attempt();
            try
            {
                var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var connectionScope = connection.ConfigureAwait(false);
                return await work(connection, attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!attempt.Committing && !reconnected && IsBrokenConnection(e) && !cancellationToken.IsCancellationRequested)
            {
                // Every idle pooled connection died with the old server process; drop them all.
                reconnected = true;
                DataSource.Clear();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.SerializationFailure && ++serializationFailures < MaxSerializationRetries)
            {
                // Rolled back as a whole (the failing statement came before COMMIT in its batch): decide again.
            }
            catch (Exception e) when (IsDriverFailure(e, cancellationToken))
            {
                throw Translate(e, attempt.Committing ? " The outcome is unknown: the server may have applied it." : "");
            }
        }
    }

    /// <summary>True for failures that mean the connection or server went away, as opposed to a refusal by our SQL.</summary>
    public static bool IsBrokenConnection(Exception e) => e switch
    {
        AgentLocksException { InnerException: { } inner } => IsBrokenConnection(inner),
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03",
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or SocketException,
        IOException or SocketException => true,
        _ => false,
    };

    /// <summary>Failures to translate; the caller's own cancellation is not one of them.</summary>
    public static bool IsDriverFailure(Exception e, CancellationToken cancellationToken)
        => e is NpgsqlException or IOException or SocketException or TimeoutException
           || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    public AgentLocksException Translate(Exception e, string suffix = "")
        => e is AgentLocksException known
            ? known
            : new AgentLocksException(ErrorCode.InternalError, $"PostgreSQL at {Where} failed: {Reason(e)}.{suffix}", e);

    public async ValueTask DisposeAsync()
    {
        _migrating.Dispose();
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Opens a connection, reporting an unreachable server as <c>INTERNAL_ERROR</c>, also when the caller's deadline cuts the attempt short.</summary>
    internal async Task<NpgsqlConnection> OpenRawAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        // Npgsql stops honouring the token once the socket is connected (a silent server hangs the handshake until
        // its own Timeout), so the caller's deadline is enforced here and a late connection is closed on arrival.
        var opening = dataSource.OpenConnectionAsync(cancellationToken).AsTask();
        try
        {
            return await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            _ = opening.ContinueWith(
                static late =>
                {
                    if (late.IsCompletedSuccessfully)
                    {
                        late.Result.Dispose();
                    }

                    return late.Exception;
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw new AgentLocksException(ErrorCode.InternalError,
                $"Could not connect to PostgreSQL at {Where} before the caller's deadline; is the server running and reachable?", e);
        }
        catch (Exception e) when (IsDriverFailure(e, cancellationToken))
        {
            throw new AgentLocksException(ErrorCode.InternalError,
                $"Could not connect to PostgreSQL at {Where}: {Reason(e)}. Check the connection string and that the server is running and reachable.", e);
        }
    }

    private async Task EnsureSchemaAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _schemaReady))
        {
            return;
        }

        // One migration per connector at a time; a failed one leaves the flag clear so the next call tries again.
        await _migrating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_schemaReady)
            {
                await Schema.MigrateAsync(connection, PostgresSchema.Migrations, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _schemaReady, true);
            }
        }
        finally
        {
            _migrating.Release();
        }
    }

    /// <summary>One try of <see cref="WithRetryAsync{T}"/>.</summary>
    public sealed class Attempt
    {
        /// <summary>Set just before <c>COMMIT</c> is sent: from then on a failure may hide a commit.</summary>
        public bool Committing { get; set; }
    }

    private static string Reason(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            var text = current is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : current.Message;
            if (!messages.Contains(text))
            {
                messages.Add(text);
            }
        }

        return string.Join(" <- ", messages).TrimEnd('.');
    }

    /// <summary>The first schema of the connection string's <c>Search Path</c>, if it names one.</summary>
    private static string? SearchPathSchema(NpgsqlConnectionStringBuilder settings)
        => settings.SearchPath?.Split(',', StringSplitOptions.TrimEntries)[0] is { Length: > 0 } first
            ? PostgresStoreOptions.ValidSchema(first, "The first schema of the connection string's Search Path")
            : null;
}
