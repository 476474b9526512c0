using System.Text.Json;

namespace AgentLocks.Cli.Tests;

/// <summary>
/// The repository root a file store records: an agent running outside the repository with no <c>--repo</c> compares
/// scopes under the root the first agent that knew one recorded, so absolute and relative scopes still collide.
/// </summary>
public sealed class RepositoryRecordTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-repo-record-").FullName;

    private string Root => Path.Combine(_dir, "store");

    private string Outside => Directory.CreateDirectory(Path.Combine(_dir, "elsewhere")).FullName;

    private string RecordPath => Path.Combine(Root, "reservations", "agentlocks-repository.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_agent_outside_the_repository_without_repo_uses_the_recorded_root()
    {
        var repo = await SetUpAsync();

        // An agent inside the repository records its root; the record survives and is reused.
        (await JsonAsync(repo.Path, "reserve", "--agent", "agent-a", "--scope", "src/auth", "--bead", "bd-1")).Succeeds("agent reserve");
        Assert.Equal(repo.Path, RecordedRoot());

        (await JsonAsync(Outside, "reserve", "--agent", "agent-b", "--scope", $"{repo.Path}/src/auth/login.cs", "--bead", "bd-2")).Fails("agent reserve", 3, "RESERVATION_CONFLICT");

        // And the other way round: the outside agent's absolute scope refuses the relative one inside.
        (await JsonAsync(Outside, "reserve", "--agent", "agent-b", "--scope", $"{repo.Path}/docs", "--bead", "bd-2")).Succeeds("agent reserve");
        (await JsonAsync(repo.Path, "reserve", "--agent", "agent-c", "--scope", "docs/api.md", "--bead", "bd-3")).Fails("agent reserve", 3, "RESERVATION_CONFLICT");
        Assert.Equal(repo.Path, RecordedRoot());
    }

    [Fact]
    public async Task A_given_repo_is_recorded_and_a_differing_one_is_used_for_its_call_only()
    {
        var repo = await SetUpAsync();
        var other = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;

        (await JsonAsync(Outside, "--repo", repo.Path, "reserve", "--agent", "agent-a", "--scope", "src/auth", "--bead", "bd-1")).Succeeds("agent reserve");
        Assert.Equal(repo.Path, RecordedRoot());

        // Under its own --repo, /repo/src/auth is not src/auth; the record is not rewritten.
        (await JsonAsync(Outside, "--repo", other, "reserve", "--agent", "agent-b", "--scope", $"{repo.Path}/src/auth", "--bead", "bd-2")).Succeeds("agent reserve");
        Assert.Equal(repo.Path, RecordedRoot());

        (await JsonAsync(Outside, "reserve", "--agent", "agent-c", "--scope", $"{repo.Path}/src", "--bead", "bd-3")).Fails("agent reserve", 3, "RESERVATION_CONFLICT");
    }

    [Fact]
    public async Task A_damaged_record_is_store_corrupt_and_doctor_reports_it()
    {
        var repo = await SetUpAsync();
        (await JsonAsync(repo.Path, "reserve", "--agent", "agent-a", "--scope", "src/auth", "--bead", "bd-1")).Succeeds("agent reserve");
        File.WriteAllText(RecordPath, "{\"repository\": \"relative/path\"}\n");
        var active = File.ReadAllText(Path.Combine(Root, "reservations", "active.json"));

        var error = (await JsonAsync(Outside, "reserve", "--agent", "agent-b", "--scope", $"{repo.Path}/src/auth", "--bead", "bd-2")).Fails("agent reserve", 5, "STORE_CORRUPT");

        Assert.Contains(RecordPath, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(active, File.ReadAllText(Path.Combine(Root, "reservations", "active.json")));
        var doctor = await JsonAsync(Outside, "doctor");
        Assert.Contains(
            doctor.Envelope.GetProperty("data").GetProperty("findings").EnumerateArray(),
            f => f.GetProperty("kind").GetString() == "damaged-store-file" && f.GetProperty("path").GetString() == RecordPath);
    }

    /// <summary>A real repository and three registered agents (registering opens the store outside any repository).</summary>
    private async Task<GitRepository> SetUpAsync()
    {
        foreach (var agent in new[] { "agent-a", "agent-b", "agent-c" })
        {
            (await JsonAsync(Outside, "agent", "register", "--agent", agent)).Succeeds("agent register");
        }

        return await GitRepository.CreateAsync(Path.Combine(_dir, "repo"));
    }

    private string? RecordedRoot()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(RecordPath));
        return document.RootElement.GetProperty("repository").GetString();
    }

    private Task<CliResult> JsonAsync(string workingDirectory, params string[] args)
        => CliRunner.RunAsync(["--json", "--root", Root, .. args], workingDirectory: workingDirectory);
}
