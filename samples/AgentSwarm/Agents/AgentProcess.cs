using System.Diagnostics;
using System.Globalization;
using AgentLocks;
using AgentSwarm.Swarm;

namespace AgentSwarm.Agents;

/// <summary>
/// One agent process: takes its worker identity lock, registers, then for each round reserves its declared
/// scopes with the generated <c>ReserveScopesAsync</c> (waiting while they conflict, taking over stale ones),
/// writes files under its exclusive scopes, and releases them by leaving the <c>await using</c> block.
/// </summary>
internal static class AgentProcess
{
    /// <summary>The lease renewed for a commit: three leases of the demo (12 s of real time with the 4 s default).</summary>
    private static readonly TimeSpan CommitLease = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync(SwarmOptions options, CancellationToken cancellationToken)
    {
        var layout = new RunLayout(options.RunDirectory ?? throw new ArgumentException("--dir is required for an agent."));
        var clock = new AcceleratedTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(options.EpochMs), 60.0 / options.LeaseSeconds);
        using var log = new AgentLog(options.Role!, layout.Log(options.Role!, Environment.ProcessId));
        using var metrics = new AgentMetricsListener();
        try
        {
            return await AgentCatalog.RunAsync(new AgentContext(options, layout, clock, log), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Write(EventKinds.Failed, x => x with { Detail = $"{e.GetType().Name}: {e.Message}" });
            return 1;
        }
        finally
        {
            log.Write(EventKinds.Metrics, x => x with { Metrics = metrics.Snapshot() });
        }
    }

    public static async Task<int> RunAsync<TAgent>(AgentContext context, CancellationToken cancellationToken)
        where TAgent : ISwarmAgent
    {
        var log = context.Log;
        log.Write(EventKinds.Started);

        await using var store = SwarmStores.Open(context);

        // One live process per worker identity: a restarted agent replaces its dead predecessor's lock.
        var (identity, replaced) = await store.AcquireIdentityAsync(cancellationToken);
        await using var identityLock = identity;
        log.Write(EventKinds.LockAcquired, e => e with { Count = replaced is null ? 0 : 1, Detail = replaced });

        await store.Store.RegisterAgentAsync(TAgent.AgentId, new AgentRegistration("swarm", context.Options.Role), cancellationToken);
        await LetPredecessorLeasesLapseAsync<TAgent>(context, store.Store, cancellationToken);

        var random = new Random(Environment.ProcessId);
        for (var round = 1; round <= context.Options.Rounds; round++)
        {
            var bead = BeadId.Parse(string.Create(CultureInfo.InvariantCulture, $"bd-{round}"));
            var (held, waited, tookOver) = await ReserveAsync<TAgent>(context, store.Store, bead, cancellationToken);
            await using (held)
            {
                log.Write(EventKinds.Reserved, e => e with
                {
                    Scopes = [.. held.Handles.Select(h => h.Reservation.Scope.Value)],
                    Token = held.Handles.Max(h => h.FencingToken.Value),
                    WaitMs = waited.TotalMilliseconds,
                    Count = tookOver,
                });
                var written = await WorkAsync(context, held, random, cancellationToken);
                await CommitAsync<TAgent>(context, held, written, round, cancellationToken);
            }

            log.Write(EventKinds.Released);
            await Task.Delay(random.Next(5, 30), cancellationToken); // thinking, outside any reservation
        }

        log.Write(EventKinds.Done);
        return 0;
    }

    /// <summary>
    /// Reserves every declared scope, all or nothing. A conflict means another agent holds an overlapping scope, a
    /// stale reservation that its owner probably died: either way say so once and let the store's wait hand the
    /// scopes over when they are released or their leases lapse (the wait takes lapsed ones over).
    /// </summary>
    private static async Task<(ReservationSetHandle Held, TimeSpan Waited, int TookOver)> ReserveAsync<TAgent>(
        AgentContext context, IReservationStore store, BeadId bead, CancellationToken cancellationToken)
        where TAgent : ISwarmAgent
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var held = await TAgent.ReserveScopesAsync(store, bead, cancellationToken);
            return (held, TimeSpan.Zero, 0);
        }
        catch (AgentLocksException e) when (e.Code is ErrorCode.ReservationConflict or ErrorCode.ReservationStaleFound)
        {
            var stale = e.Code == ErrorCode.ReservationStaleFound;
            context.Log.Write(EventKinds.Waiting, x => x with
            {
                Scopes = [.. AgentCatalog.ScopesOf<TAgent>().Select(s => s.Scope.Value)],
                Detail = stale ? "stale: " + e.Message : e.Message,
            });
            var held = await TAgent.ReserveScopesAsync(store, bead, Timeout.InfiniteTimeSpan, cancellationToken);
            return (held, Stopwatch.GetElapsedTime(started), stale ? 1 : 0);
        }
    }

    /// <summary>Simulated work: append a line (with the fencing token) to one or two files under each exclusive scope.</summary>
    /// <remarks>The work is cancelled only by <paramref name="cancellationToken"/> (Ctrl+C); a lost lease ends the round's writes.</remarks>
    /// <returns>The files written.</returns>
    private static async Task<List<string>> WorkAsync(AgentContext context, ReservationSetHandle held, Random random, CancellationToken cancellationToken)
    {
        List<string> written = [];
        foreach (var handle in held.Handles.Where(h => h.Reservation.Mode == ReservationMode.Exclusive))
        {
            var scope = handle.Reservation.Scope;
            var files = RunLayout.RepositoryFiles.Where(scope.Covers).OrderBy(_ => random.Next()).Take(random.Next(1, 3)).ToList();
            foreach (var file in files)
            {
                // A lease can run out while its holder is slow (a loaded machine, a long pause): write only while
                // at least half of it is left, so an overdue writer stops before another agent may take over.
                var left = context.Clock.Shorten(held.Handles.Min(h => h.Reservation.ExpiresAt) - context.Clock.GetUtcNow());
                if (held.HandleLost.IsCancellationRequested || left < TimeSpan.FromSeconds(context.Options.LeaseSeconds / 2.0))
                {
                    context.Log.Write(EventKinds.LeaseShort, e => e with { Detail = $"{Math.Max(0, left.TotalSeconds):0.0} s of the lease left" });
                    return written;
                }

                context.Log.Write(EventKinds.WriteBegin, e => e with { File = file, Scope = scope.Value, Token = handle.FencingToken.Value });
                await File.AppendAllTextAsync(
                    Path.Combine(context.Layout.Repository, file),
                    $"// {context.Options.Role} (pid {Environment.ProcessId}) under {scope}, fencing token {handle.FencingToken}{Environment.NewLine}",
                    cancellationToken);
                await Task.Delay(random.Next(15, 45), cancellationToken); // the rest of the edit
                context.Log.Write(EventKinds.WriteEnd, e => e with { File = file, Scope = scope.Value, Token = handle.FencingToken.Value });
                written.Add(file);
            }
        }

        return written;
    }

    /// <summary>
    /// Commits the round's files through the commit guard, still holding the scopes they were written under. A
    /// commit takes real seconds (git and the guard's hook, queued behind other agents' commits), longer than a demo
    /// lease may have left, so the agent keeps its leases renewed while it commits; a lease already lost means the
    /// round's work is not committed.
    /// </summary>
    private static async Task CommitAsync<TAgent>(AgentContext context, ReservationSetHandle held, List<string> written, int round, CancellationToken cancellationToken)
        where TAgent : ISwarmAgent
    {
        if (written.Count == 0)
        {
            return;
        }

        // Renewed when less than half of the commit lease is left, so it never runs out while the commit waits its turn.
        var renewed = DateTimeOffset.MinValue;
        async Task KeepLeaseAsync()
        {
            if (context.Clock.GetUtcNow() - renewed < CommitLease / 2)
            {
                return;
            }

            foreach (var handle in held.Handles)
            {
                await handle.RenewAsync(CommitLease, cancellationToken);
            }

            renewed = context.Clock.GetUtcNow();
        }

        var files = written.Distinct(StringComparer.Ordinal).ToList();
        try
        {
            var refusal = await GuardedCommits.CommitAsync(context.Layout, context.Options, TAgent.AgentId.Value, files, $"{context.Options.Role}: round {round}", KeepLeaseAsync, cancellationToken);
            context.Log.Write(refusal is null ? EventKinds.Committed : EventKinds.CommitRefused, e => e with { Count = files.Count, Detail = refusal });
        }
        catch (AgentLocksException e)
        {
            context.Log.Write(EventKinds.LeaseShort, x => x with { Detail = $"not committing: {e.Message}" });
        }
    }

    /// <summary>
    /// A restarted agent does not resume reservations its killed predecessor left behind (the work under them may
    /// be half done): it waits for their leases to run out, so the others recover those scopes, as they would from
    /// an agent that never came back.
    /// </summary>
    private static async Task LetPredecessorLeasesLapseAsync<TAgent>(AgentContext context, IReservationStore store, CancellationToken cancellationToken)
        where TAgent : ISwarmAgent
    {
        var status = await store.GetStatusAsync(new StatusQuery { Agent = TAgent.AgentId }, cancellationToken);
        if (status.Reservations.Count == 0)
        {
            return;
        }

        var lapse = status.Reservations.Max(r => r.ExpiresAt) - context.Clock.GetUtcNow();
        context.Log.Write(EventKinds.Recovering, e => e with
        {
            Scopes = [.. status.Reservations.Select(r => r.Scope.Value)],
            Detail = $"my killed predecessor's leases; they run out in {context.Clock.Shorten(lapse).TotalSeconds:0.0} s",
        });
        if (lapse > TimeSpan.Zero)
        {
            await Task.Delay(context.Clock.Shorten(lapse), cancellationToken);
        }
    }
}
