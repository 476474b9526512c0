namespace AgentLocks;

/// <summary>
/// Finds worker directories (those with <c>.runtime/agent.lock</c>) below a root without walking into heavy
/// or foreign trees, and without following symlinks (no loops, no escaping the root).
/// </summary>
internal static class WorkerLockScanner
{
    /// <summary>Directories never descended into: VCS metadata, dependency caches and build output.</summary>
    internal static readonly HashSet<string> SkippedDirectories = new(StringComparer.Ordinal)
    {
        ".git", ".hg", ".svn", ".jj", "node_modules", "bin", "obj", "target", "dist", ".venv", "venv", "__pycache__",
        ".cache", ".gradle", ".idea", ".vs", ".tox", ".mypy_cache", ".pytest_cache", ".terraform", ".next", "vendor",
        LockFile.RuntimeDirectoryName,
    };

    public static (List<string> Workers, List<WorkerLockProblem> Problems) Find(string root, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
        {
            throw new AgentLocksException(ErrorCode.InvalidArgs, $"The directory {full} does not exist.");
        }

        var workers = new List<string>();
        var problems = new List<WorkerLockProblem>();
        var options = new EnumerationOptions { IgnoreInaccessible = false, RecurseSubdirectories = false, AttributesToSkip = 0 };
        var pending = new Stack<string>();
        pending.Push(full);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var directory = pending.Pop();
            // A symlink or directory at the lock path counts too: reading it reports the problem.
            var lockPath = Path.Combine(directory, LockFile.RuntimeDirectoryName, LockFile.LockFileName);
            if (Path.Exists(lockPath) || new FileInfo(lockPath).LinkTarget is not null)
            {
                workers.Add(directory);
            }

            try
            {
                foreach (var child in new DirectoryInfo(directory).EnumerateDirectories("*", options))
                {
                    if (!child.Attributes.HasFlag(FileAttributes.ReparsePoint) && !SkippedDirectories.Contains(child.Name))
                    {
                        pending.Push(child.FullName);
                    }
                }
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                problems.Add(new WorkerLockProblem(directory, ErrorCode.InternalError, $"Cannot read directory {directory}: {e.Message}"));
            }
        }

        workers.Sort(StringComparer.Ordinal);
        problems.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return (workers, problems);
    }
}
