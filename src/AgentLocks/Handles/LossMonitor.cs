namespace AgentLocks;

/// <summary>
/// What every handle shares: the <c>HandleLost</c> source, a check that runs every period on a
/// <see cref="TimeProvider"/> (one at a time, so a slow store or disk does not pile up ticks), and a disposal that
/// stops both. Once lost, the checks stop; once disposed, nothing is marked lost any more.
/// </summary>
internal sealed class LossMonitor : IAsyncDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private readonly object _gate = new();
    private readonly ITimer _timer;
    private readonly Func<Task> _check;
    private int _ticking;
    private int _checks;
    private bool _disposed;

    /// <summary>Starts checking every <paramref name="period"/> (<see cref="Timeout.InfiniteTimeSpan"/>: never); <paramref name="check"/> handles its own errors.</summary>
    public LossMonitor(TimeProvider time, TimeSpan period, Func<Task> check)
    {
        _check = check;
        _timer = time.CreateTimer(static monitor => ((LossMonitor)monitor!).OnTick(), this, period, period);
    }

    public CancellationToken Lost => _lost.Token;

    /// <summary>The latest check; tests await it after advancing a fake clock.</summary>
    public Task LastTick { get; private set; } = Task.CompletedTask;

    /// <summary>How many checks have started; tests count ticks with it.</summary>
    public int Checks => Volatile.Read(ref _checks);

    /// <summary>Stops the checks and cancels <see cref="Lost"/>, unless disposed.</summary>
    public void MarkLost()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _timer.Dispose();
                _lost.Cancel();
            }
        }
    }

    /// <summary>Once only: stops the checks and disposes <see cref="Lost"/>'s source.</summary>
    public ValueTask DisposeAsync() => DisposeAsync(static () => Task.CompletedTask);

    /// <summary>Once only: stops the checks, runs <paramref name="release"/>, then disposes <see cref="Lost"/>'s source.</summary>
    public async ValueTask DisposeAsync(Func<Task> release)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        try
        {
            await release().ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _lost.Dispose();
            }
        }
    }

    private void OnTick()
    {
        if (Interlocked.CompareExchange(ref _ticking, 1, 0) == 0)
        {
            Interlocked.Increment(ref _checks);
            LastTick = CheckAsync();
        }
    }

    private async Task CheckAsync()
    {
        try
        {
            await _check().ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }
}
