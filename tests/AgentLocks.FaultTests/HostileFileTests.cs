using System.Diagnostics;

namespace AgentLocks.FaultTests;

/// <summary>Finding 10 and issue 11's damaged-store rows: what is not a regular file is never followed or opened blocking: exit 5, untouched.</summary>
public sealed class HostileFileTests : IDisposable
{
    private readonly StoreRoot _root = new();
    private readonly string _outside = Path.Combine(Path.GetTempPath(), "agentlocks-faults", "outside-" + Guid.NewGuid().ToString("N"));

    public HostileFileTests()
    {
        File.WriteAllText(_outside, "precious\n");
    }

    public void Dispose()
    {
        _root.Dispose();
        File.Delete(_outside);
    }

    [Theory]
    [InlineData("fifo", "reservations/active.json")]
    [InlineData("fifo", "reservations/history.jsonl")]
    [InlineData("fifo", "messages/index/agent-a.json")]
    [InlineData("symlink", "reservations/history.jsonl")]
    [InlineData("symlink", "reservations/active.json")]
    [InlineData("dangling", "reservations/active.json")]
    [InlineData("directory", "reservations/active.json")]
    [InlineData("directory", "reservations/history.jsonl")]
    [InlineData("directory", "reservations/agentlocks.json")]
    [InlineData("file", "reservations")]
    public async Task A_store_path_that_is_not_a_regular_file_is_store_corrupt_and_untouched(string kind, string relative)
    {
        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "agent", "register", "--agent", "agent-a")).ExitCode);
        var path = _root.File(relative.Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        switch (kind)
        {
            case "fifo":
                using (var mkfifo = Process.Start("mkfifo", path)!)
                {
                    await mkfifo.WaitForExitAsync();
                }

                break;
            case "symlink":
                File.CreateSymbolicLink(path, _outside);
                break;
            case "dangling":
                File.CreateSymbolicLink(path, _outside + ".missing");
                break;
            case "directory":
                Directory.CreateDirectory(path);
                break;
            default:
                await File.WriteAllTextAsync(path, "not a directory\n");
                break;
        }

        var before = _root.Snapshot();
        // Messages are read by status only; every command that reads the path refuses it.
        string[][] commands = relative.StartsWith("messages", StringComparison.Ordinal)
            ? [["status"]]
            : [["status"], ["reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1"]];
        foreach (var command in commands)
        {
            var run = await Processes.CliAsync(_root.Path, command);
            Assert.True(run.ExitCode == 5 && run.Code == "STORE_CORRUPT", $"{command[0]}: {run}");
        }

        var doctor = await Processes.CliAsync(_root.Path, "doctor", "--fix");
        Assert.DoesNotContain("\"healthy\":true", doctor.Stdout.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(before, _root.Snapshot());
        Assert.Equal("precious\n", await File.ReadAllTextAsync(_outside));
    }

    /// <summary>A damaged agents/&lt;id&gt;.json: that agent's reserve is STORE_CORRUPT, as doctor says, not a grant.</summary>
    [Fact]
    public async Task A_damaged_agent_record_is_store_corrupt_for_that_agents_reserve()
    {
        Assert.Equal(0, (await Processes.CliAsync(_root.Path, "agent", "register", "--agent", "agent-a")).ExitCode);
        await File.WriteAllTextAsync(_root.File("agents", "agent-a.json"), "{\"agent_id\": ");
        var before = _root.Snapshot();
        var reserve = await Processes.CliAsync(_root.Path, "reserve", "--agent", "agent-a", "--scope", "src", "--bead", "bd-1");
        Assert.True(reserve.ExitCode == 5 && reserve.Code == "STORE_CORRUPT", reserve.ToString());
        Assert.Equal(before, _root.Snapshot());
    }
}
