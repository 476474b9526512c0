using System.Diagnostics;

namespace AgentLocks;

/// <summary>
/// The repository that path scopes are relative to, with every <c>git worktree</c> of it. beadboard stores
/// <c>path.resolve(scope)</c> (<c>/repo/src/auth</c>) where an agent writes <c>src/auth</c>: under a known root
/// both compare by their relative form, so they overlap, and an absolute path inside any worktree of the same
/// repository maps to the same relative scope. Scopes are still stored verbatim. With no root
/// (<see cref="None"/>), an absolute scope overlaps only absolute scopes and a relative one only relative ones.
/// </summary>
/// <remarks>Usage: <c>new ReservationStoreOptions { Repository = RepositoryRoot.Discover(Environment.CurrentDirectory) }</c></remarks>
public sealed class RepositoryRoot
{
    private readonly Lazy<string[]> _worktrees;

    /// <summary>A root made of the given directories (a checkout and its worktrees), as absolute paths.</summary>
    /// <remarks>Usage: <c>new RepositoryRoot(["/repo", "/repo-wt/agent-b"])</c></remarks>
    public RepositoryRoot(IEnumerable<string> worktrees)
    {
        ArgumentNullException.ThrowIfNull(worktrees);
        string[] normalized = [.. Normalize(worktrees)];
        _worktrees = new Lazy<string[]>(normalized);
    }

    private RepositoryRoot(Func<IEnumerable<string>> worktrees) => _worktrees = new Lazy<string[]>(() => [.. Normalize(worktrees())]);

    /// <summary>No root known: absolute and relative scopes never overlap.</summary>
    /// <remarks>Usage: <c>options.Repository ?? RepositoryRoot.None</c></remarks>
    public static RepositoryRoot None { get; } = new([]);

    /// <summary>The directories whose contents map to relative scopes.</summary>
    /// <remarks>Usage: <c>foreach (var dir in root.Worktrees) { ... }</c></remarks>
    public IReadOnlyList<string> Worktrees => _worktrees.Value;

    /// <summary>
    /// The repository <paramref name="directory"/> is in, with all its worktrees (<c>git worktree list</c>), or null
    /// when it is not inside a git work tree (or git is not installed).
    /// </summary>
    /// <remarks>Usage: <c>var root = RepositoryRoot.Discover("/repo/src");</c></remarks>
    public static RepositoryRoot? Discover(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var worktrees = GitWorktrees(directory);
        return worktrees is null ? null : new RepositoryRoot(worktrees);
    }

    /// <summary>
    /// Like <see cref="Discover"/>, but git is asked only when an absolute scope or path first needs the root (most
    /// commands see relative scopes only). Outside a git work tree the root is <paramref name="fallback"/>, or none.
    /// </summary>
    internal static RepositoryRoot DiscoverOnUse(string directory, string? fallback)
        => new(() => GitWorktrees(directory) ?? (fallback is null ? [] : [fallback]));

    /// <summary>
    /// The root every agent of one store agrees on: the store's own root (given, or discovered from git) when it has
    /// one, else the root <paramref name="record"/> holds. The first own root is recorded; a recorded root is never
    /// replaced, so an own root that differs is used for this store only.
    /// </summary>
    internal static RepositoryRoot Agreed(RepositoryRoot? own, IRepositoryRecord record)
    {
        // Only while nothing is recorded is git asked at once; afterwards as before, once an absolute scope needs it.
        if (own is not null && !record.Exists && own.Worktrees is [var top, ..])
        {
            record.Create(top);
        }

        return new(() => own?.Worktrees is { Count: > 0 } mine ? mine
            : record.Read() is { } recorded ? GitWorktrees(recorded) ?? [recorded] : []);
    }

    /// <summary>The top level of the git work tree <paramref name="directory"/> is in and every worktree of its repository; null outside one.</summary>
    private static List<string>? GitWorktrees(string directory)
    {
        var top = Git(directory, "rev-parse", "--show-toplevel");
        if (top is null)
        {
            return null;
        }

        var listed = Git(directory, "worktree", "list", "--porcelain") ?? string.Empty;
        return [top, .. listed.Split('\n').Where(line => line.StartsWith("worktree ", StringComparison.Ordinal)).Select(line => line["worktree ".Length..])];
    }

    private static IEnumerable<string> Normalize(IEnumerable<string> worktrees)
        => worktrees.Select(w => Path.GetFullPath(w).Replace('\\', '/').TrimEnd('/')).Where(w => w.Length > 0).Distinct(StringComparer.Ordinal);

    /// <summary>The relative form of a scope under the root (<c>/repo/src/**</c> → <c>src/**</c>; the root itself → <c>**</c>); any other scope unchanged.</summary>
    /// <remarks>Usage: <c>root.Relative(ScopePattern.Parse("/repo/src/auth"))</c> is <c>src/auth</c>.</remarks>
    public ScopePattern Relative(ScopePattern scope)
        => scope.IsAbsolute && RelativeText(scope.Value) is { } relative ? ScopePattern.Parse(relative) : scope;

    /// <summary>The scope and every form that compares equal to it: its relative form and that form inside each worktree.</summary>
    internal IEnumerable<ScopePattern> Forms(ScopePattern scope)
    {
        yield return scope;
        var relative = Relative(scope);
        if (!relative.IsPath || relative.IsAbsolute)
        {
            yield break;
        }

        yield return relative;
        foreach (var worktree in Worktrees)
        {
            yield return ScopePattern.Parse(relative.Value == "**" ? worktree : $"{worktree}/{relative.Value}");
        }
    }

    /// <summary>Whether two scopes overlap once both are in their relative form.</summary>
    /// <remarks>Usage: <c>root.Overlaps(ScopePattern.Parse("/repo/src"), ScopePattern.Parse("src/auth"))</c> is true.</remarks>
    public bool Overlaps(ScopePattern a, ScopePattern b) => Relative(a).Overlaps(Relative(b));

    /// <summary>Whether two scopes name the same thing once both are in their relative form.</summary>
    /// <remarks>Usage: <c>root.Same(ScopePattern.Parse("/repo/src"), ScopePattern.Parse("src"))</c> is true.</remarks>
    public bool Same(ScopePattern a, ScopePattern b) => a == b || Relative(a) == Relative(b);

    /// <summary>
    /// Whether <paramref name="scope"/> covers the file <paramref name="path"/> (relative to the root, or absolute).
    /// Any file name is accepted: characters a scope cannot hold (control characters such as a newline, glob
    /// characters, white space at the ends) match only a wildcard, so a reserved directory still covers the file.
    /// </summary>
    /// <remarks>Usage: <c>root.Covers(scope, "src/auth/login.cs")</c></remarks>
    public bool Covers(ScopePattern scope, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!scope.IsPath)
        {
            return false;
        }

        var text = path.Replace('\\', '/');
        if (text.StartsWith('/'))
        {
            text = Path.GetFullPath(text);
            text = RelativeText(text) ?? text;
        }

        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var atEnd = i == 0 || i == chars.Length - 1;
            if (char.IsControl(chars[i]) || chars[i] is '*' or '?' || (atEnd && char.IsWhiteSpace(chars[i])))
            {
                chars[i] = Placeholder;
            }
        }

        // A file named like a non-path scope (deploy:prod) is still a file.
        var sanitized = new string(chars);
        if (ScopeGlob.IsNonPath(sanitized))
        {
            var colon = sanitized.IndexOf(':', StringComparison.Ordinal);
            sanitized = string.Concat(sanitized.AsSpan(0, colon), [Placeholder], sanitized.AsSpan(colon + 1));
        }

        return ScopeGlob.Normalize(sanitized, out var normalized) is null
            && ScopeGlob.Overlaps(Relative(scope).Value, normalized!);
    }

    /// <summary>A character no scope literal holds: it stands for one a file name may have and a scope may not.</summary>
    private const char Placeholder = '\uFFFD';

    private string? RelativeText(string absolute)
    {
        foreach (var worktree in _worktrees.Value)
        {
            if (absolute == worktree)
            {
                return "**";
            }

            if (absolute.Length > worktree.Length + 1 && absolute.StartsWith(worktree, StringComparison.Ordinal) && absolute[worktree.Length] == '/')
            {
                return absolute[(worktree.Length + 1)..];
            }
        }

        return null;
    }

    /// <summary>git's output (a trailing newline removed), or null when it fails (not a repository, no git).</summary>
    internal static string? Git(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(directory);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            _ = stderr.Result;
            return process.ExitCode == 0 ? output.TrimEnd('\n') : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
