using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// The PostgreSQL store's change source for waiters: one connection per store that <c>LISTEN</c>s on the schema's
/// channel, opened by the first waiter and closed <see cref="Linger"/> after the last left (so a store whose callers
/// wait again and again listens once, not once per wait), or at its next <see cref="Slice"/> when the last left to wait
/// behind others in a queue (the server signals every listening connection at each notification). The deciding
/// client sends the scope of every lease that ends (released, swept as expired, taken over) just after its
/// transaction commits, so a waiter looks again only when an overlapping scope was freed. If the connection is lost, every waiter looks once and it listens again.
/// </summary>
internal sealed class PostgresChangeListener : IAsyncDisposable
{
    /// <summary>The longest single wait on the socket: how late a stop is seen (a wait sends nothing to the server).</summary>
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(1);

    /// <summary>How long the connection keeps listening after the last waiter left.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    private readonly PostgresConnector _connector;
    private readonly ChangeFeed _feed;
    private readonly Func<bool> _someBehind;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private int _users = 1;
    private int _generation;
    private bool _stopping;
    private bool _stopWhenIdle;
    private Task _loop = Task.CompletedTask;

    private PostgresChangeListener(PostgresConnector connector, ChangeFeed feed, Func<bool> someBehind)
    {
        _connector = connector;
        _feed = feed;
        _someBehind = someBehind;
    }

    /// <summary>The channel of <paramref name="schema"/>; the persistence notifies on it (identifiers end at 63 bytes, names are ASCII).</summary>
    public static string Channel(PostgresSchema schema)
    {
        var channel = "agentlocks." + schema.Name;
        return channel[..Math.Min(channel.Length, 63)];
    }

    /// <summary>
    /// The lock every listening connection holds shared while it listens: a deciding client notifies only when it
    /// cannot take it exclusive, so releases cost no notification while nobody waits. A waiter listens before its
    /// first try, so a release it could miss (one that commits after that try read the lease) finds the lock held.
    /// </summary>
    public static string ListeningKey(PostgresSchema schema) => schema.LockKey("listening");

    /// <summary>
    /// One waiter less; after the last, the connection stops listening once <see cref="Linger"/> passed without a new
    /// one, or at its next <see cref="Slice"/> when a waiter of the store is behind others in a queue (it will not be
    /// back soon; one that is back before then finds the connection still listening, so there is never a second).
    /// </summary>
    public ValueTask DisposeAsync()
    {
        int generation;
        lock (_gate)
        {
            if (--_users > 0)
            {
                return ValueTask.CompletedTask;
            }

            generation = ++_generation;
            _stopWhenIdle = _someBehind();
            if (_stopWhenIdle)
            {
                return ValueTask.CompletedTask;
            }
        }

        _ = StopLaterAsync(generation);
        return ValueTask.CompletedTask;
    }

    /// <summary>One waiter more, unless the connection is already stopping.</summary>
    private bool TryKeep()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return false;
            }

            _users++;
            _generation++;
            _stopWhenIdle = false;
            return true;
        }
    }

    /// <summary>Test seam: runs once a connection listens (and holds the listening lock), given the schema's name.</summary>
    internal static Action<string>? Listening { get; set; }

    private async Task StopLaterAsync(int generation)
    {
        // The linger: a waiter that comes back within it finds the connection still listening (no LISTEN round trip).
        await Task.Delay(Linger).ConfigureAwait(false);
        lock (_gate)
        {
            if (_users > 0 || generation != _generation || _stopping)
            {
                return;
            }

            _stopping = true;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>Whether the connection stops now: nobody uses it, and the last user left to queue behind others.</summary>
    private bool StoppingWhenIdle()
    {
        lock (_gate)
        {
            _stopping |= _stopWhenIdle && _users == 0;
            return _stopping;
        }
    }

    /// <summary>Stops listening now and waits until the connection is closed (within a slice).</summary>
    private async Task StopAsync()
    {
        lock (_gate)
        {
            _stopping = true;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }

    private async Task<NpgsqlConnection> ListenAsync(CancellationToken cancellationToken)
    {
        var connection = await _connector.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            connection.Notification += (_, e) => _feed.Publish(ScopePattern.TryParse(e.Payload, out var scope) ? [scope] : null);
            using var listen = new NpgsqlCommand($"LISTEN \"{Channel(_connector.Schema)}\"; SELECT pg_advisory_lock_shared({ListeningKey(_connector.Schema)})", connection);
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Listening?.Invoke(_connector.Schema.Name);
            return connection;
        }
        catch (Exception e) when (PostgresConnector.IsDriverFailure(e, cancellationToken))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw _connector.Translate(e, " (while listening for released reservations)");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task RunAsync(NpgsqlConnection connection)
    {
        var slice = (int)Slice.TotalMilliseconds;
        while (true)
        {
            try
            {
                // Notifications are raised by the driver while it waits on the socket.
                while (!_stop.IsCancellationRequested && !StoppingWhenIdle())
                {
                    await connection.WaitAsync(slice, CancellationToken.None).ConfigureAwait(false);
                }

                // Pooled connections keep session state (No Reset On Close), so the lock is given up explicitly.
                using var unlisten = new NpgsqlCommand($"UNLISTEN *; SELECT pg_advisory_unlock_shared({ListeningKey(_connector.Schema)})", connection);
                await unlisten.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (PostgresConnector.IsDriverFailure(e, CancellationToken.None) || e is InvalidOperationException)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            // Lost: what ended meanwhile was not heard, so every waiter looks once; then listen again.
            _feed.Publish(null);
            while (true)
            {
                try
                {
                    await Task.Delay(Reconnect, _stop.Token).ConfigureAwait(false);
                    connection = await ListenAsync(_stop.Token).ConfigureAwait(false);
                    _feed.Publish(null);
                    break;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (AgentLocksException)
                {
                    // The server is still away; the waiters learn that from their own tries.
                }
            }
        }
    }

    /// <summary>
    /// A store's listener, for its <see cref="Feed"/>: the feed starts it for its first waiter and disposes it after
    /// its last; a listener still lingering is kept instead of opening another. Disposing stops it with the store.
    /// </summary>
    internal sealed class Source : IAsyncDisposable
    {
        private readonly PostgresConnector _connector;
        private readonly object _gate = new();
        private PostgresChangeListener? _current;
        private int _behind;

        public Source(PostgresConnector connector)
        {
            _connector = connector;
            Feed = new(StartAsync);
        }

        public ChangeFeed Feed { get; }

        /// <summary>Counts a waiter of the store into (1) or out of (-1) the state of waiting behind others in a queue.</summary>
        public void Behind(int change) => Interlocked.Add(ref _behind, change);

        public async ValueTask DisposeAsync()
        {
            PostgresChangeListener? current;
            lock (_gate)
            {
                (current, _current) = (_current, null);
            }

            if (current is not null)
            {
                await current.StopAsync().ConfigureAwait(false);
            }
        }

        /// <summary>The lingering listener, kept; else a new one (the first waiter is told if it cannot listen).</summary>
        private async Task<IAsyncDisposable> StartAsync(ChangeFeed feed, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_current?.TryKeep() == true)
                {
                    return _current;
                }
            }

            var listener = new PostgresChangeListener(_connector, feed, () => Volatile.Read(ref _behind) > 0);
            var connection = await listener.ListenAsync(cancellationToken).ConfigureAwait(false);
            listener._loop = Task.Run(() => listener.RunAsync(connection), CancellationToken.None);
            lock (_gate)
            {
                _current = listener;
            }

            return listener;
        }
    }
}
