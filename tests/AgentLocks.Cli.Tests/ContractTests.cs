using System.Security.Cryptography;
using System.Text.Json;

namespace AgentLocks.Cli.Tests;

/// <summary>
/// The CLI's error contract, as a table: an argument vector and the files planted before it, the exit code and error
/// code expected, exactly one JSON envelope on stdout, and nothing changed outside the area the command may change
/// (compared by checksums of the whole sandbox: root, worker, and a directory beside them).
/// </summary>
public sealed class ContractTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-contract-").FullName;

    public ContractTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "root"));
        Directory.CreateDirectory(Path.Combine(_dir, "workers", "worker"));
        Directory.CreateDirectory(Path.Combine(_dir, "outside"));
    }

    /// <summary>Name, what is planted, the arguments ({root}, {worker}, {workers}, {pid} are replaced), exit code, error code (null: success), and the area that may change.</summary>
    public static TheoryData<string, string, string[], int, string?, string?> Cases => new()
    {
        { "no command", "", [], 2, "INVALID_ARGS", null },
        { "help", "", ["--help"], 0, null, null },
        { "help of a command", "", ["lock", "status", "--help"], 0, null, null },
        { "usage error", "", ["lock", "status", "--worker", "{worker}", "extra"], 2, "INVALID_ARGS", null },
        { "--json twice", "", ["--json", "lock", "status", "--worker", "{worker}"], 2, "INVALID_ARGS", null },
        { "--shared twice", "", ["--root", "{root}", "reserve", "--agent", "agent-a", "--scope", "src/**", "--bead", "bd-1", "--shared", "--shared"], 2, "INVALID_ARGS", null },
        { "--ttl twice", "", ["--root", "{root}", "reserve", "--agent", "agent-a", "--scope", "src/**", "--bead", "bd-1", "--ttl", "5", "--ttl", "6"], 2, "INVALID_ARGS", null },
        { "--root empty", "", ["--root", "", "status"], 2, "INVALID_ARGS", null },
        { "--root /dev/null", "", ["--root", "/dev/null", "status"], 2, "INVALID_ARGS", null },
        { "--root a file", "", ["--root", "{workers}/file", "agent", "register", "--agent", "agent-a"], 2, "INVALID_ARGS", null },
        { "lock list --under empty", "", ["lock", "list", "--under", ""], 2, "INVALID_ARGS", null },
        { "lock clean --under empty", "", ["lock", "clean", "--under", ""], 2, "INVALID_ARGS", null },
        { "lock collisions --under empty", "", ["lock", "collisions", "--under", ""], 2, "INVALID_ARGS", null },
        { "doctor --under empty", "", ["--root", "{root}", "doctor", "--under", ""], 2, "INVALID_ARGS", null },
        { "keeper verb by hand", "", ["__postgres-lock-keeper", "polecat-1", "1", ""], 2, "INVALID_ARGS", null },
        { "keeper verb, bad arguments", "", ["__postgres-lock-keeper", "x"], 2, "INVALID_ARGS", null },
        { "flock file a directory", "flock-dir", ["lock", "acquire", "--worker", "{worker}", "--pid", "{pid}"], 5, "INVALID_LOCK", null },
        { "runtime a symlink: status", "runtime-symlink", ["lock", "status", "--worker", "{worker}"], 5, "INVALID_LOCK", null },
        { "runtime a symlink: acquire", "runtime-symlink", ["lock", "acquire", "--worker", "{worker}", "--pid", "{pid}"], 5, "INVALID_LOCK", null },
        { "runtime a symlink: force release", "runtime-symlink", ["lock", "release", "--worker", "{worker}", "--force"], 5, "INVALID_LOCK", null },
        { "runtime a symlink: list reports it, lists no lock", "runtime-symlink", ["lock", "list", "--under", "{workers}"], 0, null, null },
        { "damaged lock: status", "damaged-lock", ["lock", "status", "--worker", "{worker}"], 5, "INVALID_LOCK", null },
        { "damaged lock: force release removes it", "damaged-lock", ["lock", "release", "--worker", "{worker}", "--force"], 0, null, "workers/worker" },
        // Taking the flock creates agent.lock.flock in the worker, as gastown does; the directory itself stays.
        { "lock a directory: force release", "lock-dir", ["lock", "release", "--worker", "{worker}", "--force"], 5, "INVALID_LOCK", "workers/worker" },
        { "lock a directory: doctor --fix reports it and goes on", "lock-dir", ["--root", "{root}", "doctor", "--fix", "--under", "{workers}"], 0, null, "workers/worker" },
        { "gastown session id with ':'", "gastown-colon", ["lock", "status", "--worker", "{worker}"], 0, null, null },
    };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_failure_has_its_code_one_envelope_and_changes_nothing_outside_its_area(string name, string plant, string[] args, int exitCode, string? code, string? mayChange)
    {
        Plant(plant);
        var before = Snapshot();
        var argv = args.Select(a => a
            .Replace("{root}", Path.Combine(_dir, "root"), StringComparison.Ordinal)
            .Replace("{workers}", Path.Combine(_dir, "workers"), StringComparison.Ordinal)
            .Replace("{worker}", Path.Combine(_dir, "workers", "worker"), StringComparison.Ordinal)
            .Replace("{pid}", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        var result = await CliRunner.RunAsync(["--json", .. argv], new Dictionary<string, string?> { ["HOME"] = Path.Combine(_dir, "root") });

        Assert.True(result.ExitCode == exitCode, $"{name}: exit {result.ExitCode}, expected {exitCode}: {result.Stdout}{result.Stderr}");
        var lines = result.Stdout.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, $"{name}: not exactly one line on stdout: {result.Stdout}");
        var envelope = result.Envelope;
        Assert.Equal(["ok", "command", "data", "error"], envelope.EnumerateObject().Select(p => p.Name));
        Assert.Equal(code is null, envelope.GetProperty("ok").GetBoolean());
        Assert.Equal(code, code is null ? null : envelope.GetProperty("error").GetProperty("code").GetString());
        Assert.DoesNotContain("   at ", result.Stdout + result.Stderr, StringComparison.Ordinal);

        var after = Snapshot();
        var area = mayChange is null ? null : mayChange + "/";
        Assert.Equal(
            before.Where(e => area is null || !e.Key.StartsWith(area, StringComparison.Ordinal)),
            after.Where(e => area is null || !e.Key.StartsWith(area, StringComparison.Ordinal)));
        if (plant == "lock-dir")
        {
            // Refused and left in place, or (doctor --fix) moved aside whole.
            var runtime = Path.Combine(_dir, "workers", "worker", ".runtime");
            Assert.Equal(code is not null, Directory.Exists(Path.Combine(runtime, "agent.lock")));
            Assert.Equal(code is null, Directory.EnumerateDirectories(runtime, "agent.lock.damaged-*").Any());
        }

        if (plant == "runtime-symlink" && code is null)
        {
            var data = envelope.GetProperty("data");
            Assert.Empty(data.GetProperty("locks").EnumerateArray());
            Assert.Equal("INVALID_LOCK", Assert.Single(data.GetProperty("problems").EnumerateArray()).GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task The_keeper_verb_typed_by_hand_is_an_unknown_command_not_a_stack_trace()
    {
        var result = await CliRunner.RunAsync(["__postgres-lock-keeper", "polecat-1", "1", ""]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("agentlocks: INVALID_ARGS: Unknown command", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    private void Plant(string what)
    {
        var worker = Path.Combine(_dir, "workers", "worker");
        var runtime = Path.Combine(worker, ".runtime");
        var host = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
        string Live(string session) => $$"""{"pid": {{Environment.ProcessId}}, "acquired_at": "2026-11-23T18:00:00Z", "session_id": "{{session}}", "hostname": "{{host}}"}""";
        File.WriteAllText(Path.Combine(_dir, "workers", "file"), "not a directory");
        switch (what)
        {
            case "flock-dir":
                Directory.CreateDirectory(Path.Combine(runtime, "agent.lock.flock"));
                break;
            case "lock-dir":
                Directory.CreateDirectory(Path.Combine(runtime, "agent.lock"));
                break;
            case "damaged-lock":
                Directory.CreateDirectory(runtime);
                File.WriteAllText(Path.Combine(runtime, "agent.lock"), """{"pid": -1, "acquired_at": "2026-11-23T18:00:00Z"}""");
                break;
            case "gastown-colon":
                Directory.CreateDirectory(runtime);
                File.WriteAllText(Path.Combine(runtime, "agent.lock"), Live("myrig:polecat/nux"));
                break;
            case "runtime-symlink":
                // Another worker's live lock, seen through a symlink: not this worker's.
                var other = Directory.CreateDirectory(Path.Combine(_dir, "outside", ".runtime")).FullName;
                File.WriteAllText(Path.Combine(other, "agent.lock"), Live("gt-other"));
                File.CreateSymbolicLink(runtime, other);
                break;
        }
    }

    /// <summary>Every entry below the sandbox, without following symlinks: kind, and content hash or link target.</summary>
    private SortedDictionary<string, string> Snapshot()
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Walk(string directory)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(directory))
            {
                var relative = Path.GetRelativePath(_dir, path);
                var info = new FileInfo(path);
                if (info.LinkTarget is { } target)
                {
                    entries[relative] = "link " + target;
                }
                else if (Directory.Exists(path))
                {
                    entries[relative] = "directory";
                    Walk(path);
                }
                else
                {
                    entries[relative] = "file " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
                }
            }
        }

        Walk(_dir);
        return entries;
    }
}
