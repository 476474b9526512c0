using System.Diagnostics;

namespace AgentLocks.Cli.Tests;

/// <summary>
/// The completion scripts, run through bash's own machinery: the script is sourced, <c>complete -p agentlocks</c>
/// names the function it registered, and that function is called as bash calls it on TAB (COMP_WORDS, COMP_CWORD),
/// with an <c>agentlocks</c> on PATH that runs the built program.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CompletionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-completion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("", "completion")]
    [InlineData("", "reserve")]
    [InlineData("", "lock")]
    [InlineData("lock a", "acquire")]
    [InlineData("completion ", "bash")]
    [InlineData("--v", "--version")]
    [InlineData("reserve --ag", "--agent")]
    [InlineData("reserve --agent a --scope x --sh", "--shared")]
    public async Task Bash_completes_commands_and_options(string line, string expected)
    {
        var suggestions = await CompleteAsync(line);

        Assert.Contains(expected, suggestions);
        Assert.All(suggestions, s => Assert.StartsWith(line.Split(' ')[^1], s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bash_completes_the_agent_ids_registered_in_the_store_after_agent()
    {
        var root = Path.Combine(_dir, "store");
        var store = new FileReservationStore(root);
        await store.RegisterAgentAsync(AgentId.Parse("alpha"));
        await store.RegisterAgentAsync(AgentId.Parse("beta"));

        Assert.Equal(["alpha", "beta"], await CompleteAsync($"--root {root} release --agent "));
        Assert.Equal(["beta"], await CompleteAsync($"--root {root} release --agent b"));
        Assert.Empty(await CompleteAsync($"--root {root} release --scope "));
    }

    [Fact]
    public async Task Suggestions_for_fish_carry_what_each_command_and_option_means()
    {
        var options = await CliRunner.RunAsync(["completion", "suggest", "--describe", "--", "reserve", "--t"]);
        var commands = await CliRunner.RunAsync(["completion", "suggest", "--describe", "--", "lo"]);
        var fish = await CliRunner.RunAsync(["completion", "fish"]);

        Assert.Equal(
            ["--takeover-stale\tTake over a conflicting reservation whose holder is stale, notifying it, instead of failing.", "--ttl\tThe lease, in whole minutes from 5 to 1440 (default: 120)."],
            options.Stdout.TrimEnd().Split('\n'));
        Assert.Equal("lock\tWorker identity locks: one live process per worker directory, compatible with gastown's agent.lock.", commands.Stdout.TrimEnd());
        Assert.Contains("completion suggest --describe --", fish.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_shell_is_bad_arguments_and_version_prints_the_version()
    {
        var bad = await CliRunner.RunAsync(["completion", "powershell"]);
        var version = await CliRunner.RunAsync(["--version"]);

        Assert.Equal(2, bad.ExitCode);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^agentlocks \d+\.\d+\.\d+", version.Stdout);
    }

    /// <summary>What bash offers on TAB at the end of <c>agentlocks LINE</c>.</summary>
    private async Task<List<string>> CompleteAsync(string line)
    {
        var bin = Path.Combine(_dir, "bin");
        var wrapper = Path.Combine(bin, "agentlocks");
        if (!File.Exists(wrapper))
        {
            Directory.CreateDirectory(bin);
            await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "AgentLocks.Cli.dll")}' \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        const string Script = """
            source <(agentlocks completion bash)
            spec=$(complete -p agentlocks) || exit 3
            fn=${spec#*-F }; fn=${fn%% *}
            read -r -a COMP_WORDS <<< "agentlocks $LINE"
            [[ "$LINE" == "" || "$LINE" == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE="agentlocks $LINE"; COMP_POINT=${#COMP_LINE}
            "$fn" agentlocks "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var start = new ProcessStartInfo("bash", ["-c", Script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["LINE"] = line;
        start.Environment.Remove("AGENTLOCKS_ROOT");
        using var bash = Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEndAsync();
        var error = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();
        Assert.True(bash.ExitCode == 0, $"bash exited {bash.ExitCode}: {await error}");
        return [.. (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }
}
