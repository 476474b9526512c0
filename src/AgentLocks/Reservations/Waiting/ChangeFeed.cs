namespace AgentLocks;

/// <summary>
/// What a store tells its waiters: each change that may free a reservation (a release, an expiry, a takeover, a
/// waiter leaving the queue), as a chain of links. A waiter takes <see cref="Current"/> before it tries, then follows
/// the chain, so a change between its try and its wait is never missed. The source (nothing for the in-memory store,
/// inotify for the file store, <c>LISTEN</c> for PostgreSQL) runs only while someone waits.
/// </summary>
internal sealed class ChangeFeed(Func<ChangeFeed, CancellationToken, Task<IAsyncDisposable>>? startSource = null)
{
    private readonly object _gate = new();
    private ChangeLink _current = new();
    private int _watchers;
    private Task<IAsyncDisposable?>? _source;

    /// <summary>The link the next change completes.</summary>
    public ChangeLink Current => Volatile.Read(ref _current);

    /// <summary>
    /// Reports a change; <paramref name="scopes"/> are the scopes it freed, or null when unknown (a waiter of any
    /// scope then looks again).
    /// </summary>
    public void Publish(IReadOnlyList<ScopePattern>? scopes)
    {
        var next = new ChangeLink();
        Interlocked.Exchange(ref _current, next).Complete(new Change(scopes, next));
    }

    /// <summary>Starts the source for one more waiter (the first starts it); disposing the result stops it after the last.</summary>
    public async Task<IAsyncDisposable> WatchAsync(CancellationToken cancellationToken)
    {
        Task<IAsyncDisposable?> source;
        lock (_gate)
        {
            // Started without the caller's token: the source is shared by every waiter.
            _source ??= startSource is null ? Task.FromResult<IAsyncDisposable?>(null) : StartAsync(startSource);
            source = _source;
            _watchers++;
        }

        var watch = new Watch(this);
        try
        {
            await source.WaitAsync(cancellationToken).ConfigureAwait(false);
            return watch;
        }
        catch
        {
            await watch.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<IAsyncDisposable?> StartAsync(Func<ChangeFeed, CancellationToken, Task<IAsyncDisposable>> start)
        => await start(this, CancellationToken.None).ConfigureAwait(false);

    private async ValueTask UnwatchAsync()
    {
        Task<IAsyncDisposable?>? stopping = null;
        lock (_gate)
        {
            if (--_watchers == 0)
            {
                (stopping, _source) = (_source, null);
            }
        }

        if (stopping is not null && await stopping.ContinueWith(started => started.IsCompletedSuccessfully ? started.Result : null, TaskScheduler.Default).ConfigureAwait(false) is { } source)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class Watch(ChangeFeed feed) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? feed.UnwatchAsync() : ValueTask.CompletedTask;
    }
}

/// <summary>One link of a <see cref="ChangeFeed"/>: completed by the next change, which leads on to the link after it.</summary>
internal sealed class ChangeLink
{
    private readonly TaskCompletionSource<Change> _change = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<Change> Changed => _change.Task;

    public void Complete(Change change) => _change.TrySetResult(change);
}

/// <summary>A change: the scopes it freed (null: unknown) and the link the change after it completes.</summary>
internal sealed record Change(IReadOnlyList<ScopePattern>? Scopes, ChangeLink Next)
{
    /// <summary>Whether a waiter for <paramref name="wanted"/> should look again (scopes compared under <paramref name="repository"/>).</summary>
    public bool Concerns(IEnumerable<ScopePattern> wanted, RepositoryRoot repository) => Scopes is null || Scopes.Any(s => wanted.Any(w => repository.Overlaps(s, w)));
}
