namespace AgentLocks;

/// <summary>
/// The file store's change source for waiters: inotify (through <see cref="FileSystemWatcher"/>) on the reservations
/// directory, reporting each time <c>active.json</c> is replaced or written, by any process (ours, another
/// AgentLocks process, beadboard). It cannot tell which scopes changed, so every waiter looks once per write.
/// A lost event (the kernel's queue overflowed) is reported as a change too.
/// </summary>
internal static class FileChangeWatcher
{
    private const string Active = "active.json";

    /// <summary>A feed for the store whose reservations live in <paramref name="reservationsDirectory"/>; it watches only while someone waits.</summary>
    public static ChangeFeed Feed(string reservationsDirectory) => new((feed, _) =>
    {
        Directory.CreateDirectory(reservationsDirectory);
        var watcher = new FileSystemWatcher(reservationsDirectory)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        void OnChange(object sender, FileSystemEventArgs e)
        {
            if (e.Name == Active || e is RenamedEventArgs { OldName: Active })
            {
                feed.Publish(null);
            }
        }

        watcher.Created += OnChange;
        watcher.Changed += OnChange;
        watcher.Deleted += OnChange;
        watcher.Renamed += OnChange;
        watcher.Error += (_, _) => feed.Publish(null);

        // Adds the inotify watch before returning, so a waiter that tries after this misses no write.
        watcher.EnableRaisingEvents = true;
        return Task.FromResult<IAsyncDisposable>(new Stop(watcher));
    });

    private sealed class Stop(FileSystemWatcher watcher) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            watcher.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
