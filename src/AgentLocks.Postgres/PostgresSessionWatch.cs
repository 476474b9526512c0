using Npgsql;

namespace AgentLocks.Postgres;

/// <summary>
/// A reservation store's own connection to the server, watched by <see cref="ConnectionWatch"/>: the handles it
/// grants report <c>HandleLost</c> when that connection is lost (server restart, <c>pg_terminate_backend</c>, a cut
/// network), because from then on the holder can no longer learn that its lease was taken or renew it. Leases are
/// rows and outlive the connection; the next grant opens a new session.
/// </summary>
internal sealed class PostgresSessionWatch(PostgresConnector connector) : IAsyncDisposable
{
    private readonly object _gate = new();
    private Session? _current;
    private bool _disposed;

    /// <summary>
    /// Cancelled when the current session's connection is lost. Opening happens in the background, off the grant's
    /// path; when it fails, the token is cancelled as well, since nothing would then be watching.
    /// </summary>
    public CancellationToken Lost
    {
        get
        {
            if (!connector.Options.WatchConnection)
            {
                return CancellationToken.None;
            }

            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_current is null || _current.Lost.IsCancellationRequested)
                {
                    var previous = _current;
                    _current = new Session(connector);
                    previous?.Forget();
                }

                return _current.Lost.Token;
            }
        }
    }

    /// <summary>Tests only: the server process of the current session, once its connection is open.</summary>
    internal Task<int> BackendPidAsync()
    {
        lock (_gate)
        {
            return _current?.BackendPid ?? throw new InvalidOperationException("No session has been opened yet.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Session? current;
        lock (_gate)
        {
            _disposed = true;
            current = _current;
            _current = null;
        }

        if (current is not null)
        {
            await current.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class Session : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource<int> _backendPid = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _run;

        public Session(PostgresConnector connector) => _run = Task.Run(() => RunAsync(connector));

        public CancellationTokenSource Lost { get; } = new();

        public Task<int> BackendPid => _backendPid.Task;

        /// <summary>Lets a lost session end on its own; its loop has finished and closed the connection.</summary>
        public void Forget() => _ = DisposeAsync().AsTask();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _run.ConfigureAwait(false);
            _stop.Dispose();
        }

        private async Task RunAsync(PostgresConnector connector)
        {
            NpgsqlConnection connection;
            try
            {
                connection = await connector.OpenAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AgentLocksException or OperationCanceledException or ObjectDisposedException)
            {
                _backendPid.TrySetException(e);
                await Lost.CancelAsync().ConfigureAwait(false);
                return;
            }

            await using (connection.ConfigureAwait(false))
            {
                _backendPid.TrySetResult(connection.ProcessID);
                await ConnectionWatch.RunAsync(connector, connection, Lost, _stop.Token).ConfigureAwait(false);
            }
        }
    }
}
