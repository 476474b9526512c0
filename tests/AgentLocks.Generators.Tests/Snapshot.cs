using System.Reflection;
using System.Runtime.CompilerServices;
using AgentLocks.Generators;

namespace AgentLocks.Generators.Tests;

/// <summary>
/// Snapshot assertions in Verify's conventions (Verify itself cannot be restored here): the expected text lives in
/// <c>&lt;TestClass&gt;.&lt;TestMethod&gt;.verified.cs</c> next to the test file. On a mismatch, or when no verified file
/// exists yet, the actual text is written to <c>*.received.cs</c> and the test fails; review it and rename it to accept.
/// </summary>
internal static class Snapshot
{
    /// <summary>The generator version in <c>[GeneratedCode]</c>, replaced so a version bump does not touch every snapshot.</summary>
    public const string VersionPlaceholder = "{version}";

    public static void Verify(string actual, [CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
    {
        // The test class is named after its file, as everywhere in this project; snapshot tests sit at its root.
        var stem = Path.Combine(Directory, $"{Path.GetFileNameWithoutExtension(testFile)}.{testMethod}");
        var verifiedPath = stem + ".verified.cs";
        var receivedPath = stem + ".received.cs";
        var text = Scrub(actual);

        if (File.Exists(verifiedPath) && Normalize(File.ReadAllText(verifiedPath)) == text)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, text);
        Assert.Fail(File.Exists(verifiedPath)
            ? $"The output differs from {verifiedPath}; see {receivedPath} (rename it to accept)."
            : $"No verified snapshot yet; review {receivedPath} and rename it to {Path.GetFileName(verifiedPath)}.");
    }

    /// <summary>The test project's directory, recorded at build time.</summary>
    private static string Directory { get; } = typeof(Snapshot).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SnapshotDirectory").Value!;

    private static string Scrub(string text) =>
        Normalize(text.Replace($"\"AgentLocks.Generators\", \"{SourceEmitter.Version}\"", $"\"AgentLocks.Generators\", \"{VersionPlaceholder}\"", StringComparison.Ordinal));

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);
}
