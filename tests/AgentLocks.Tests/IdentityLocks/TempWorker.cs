namespace AgentLocks.Tests.IdentityLocks;

/// <summary>A private temporary directory with one worker directory in it, removed afterwards.</summary>
internal sealed class TempWorker : IDisposable
{
    public TempWorker()
    {
        Root = Directory.CreateTempSubdirectory("agentlocks-locks-").FullName;
        Worker = Directory.CreateDirectory(Path.Combine(Root, "worker")).FullName;
    }

    public string Root { get; }

    public string Worker { get; }

    public string RuntimeDirectory => Path.Combine(Worker, ".runtime");

    public string LockPath => Path.Combine(RuntimeDirectory, "agent.lock");

    public string NewWorker(params string[] relative)
        => Directory.CreateDirectory(Path.Combine([Root, .. relative])).FullName;

    /// <summary>Writes a lock file by hand, as another tool would.</summary>
    public static void WriteLock(string worker, string json)
    {
        Directory.CreateDirectory(Path.Combine(worker, ".runtime"));
        File.WriteAllText(Path.Combine(worker, ".runtime", "agent.lock"), json);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still be exiting; the temp directory is cleaned by the OS eventually.
        }
    }
}
