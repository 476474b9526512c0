namespace AgentLocks.Tests.Reservations;

/// <summary>A fresh directory under the system temp directory, removed afterwards; optionally a copy of the beadboard fixture.</summary>
internal sealed class TempRoot : IDisposable
{
    public TempRoot()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "agentlocks-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A root holding a copy of the files beadboard wrote (never the fixtures themselves).</summary>
    public static TempRoot WithBeadboardFixture()
    {
        var root = new TempRoot();
        var source = System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "beadboard", "agent");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = System.IO.Path.Combine(root.Path, System.IO.Path.GetRelativePath(source, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            System.IO.File.Copy(file, target);
        }

        return root;
    }

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file; the temp directory is cleaned by the system.
        }
    }
}
