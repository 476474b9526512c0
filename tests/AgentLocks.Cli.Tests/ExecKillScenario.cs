using System.Diagnostics;

namespace AgentLocks.Cli.Tests;

/// <summary>
/// <c>lock exec</c> killed with SIGKILL or SIGTERM while its command runs: the worker stays locked for exactly as long
/// as the command lives, so a second <c>lock exec</c> runs nothing until the first command has ended. The same
/// scenario runs on the file backend and on PostgreSQL. Everything waits on files and process states, not on time.
/// </summary>
internal static class ExecKillScenario
{
    // Ignores SIGTERM (so a SIGTERM passed on does not end it), says its PID, and runs until told to finish.
    private const string First = """trap '' TERM; echo $$ > "$1.tmp" && mv "$1.tmp" "$1"; while [ ! -e "$2" ]; do sleep 0.05; done""";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <param name="signal"><c>KILL</c> or <c>TERM</c>.</param>
    /// <param name="options">What precedes the command: <c>--json</c>, and <c>--root</c> or <c>--postgres</c>.</param>
    public static async Task RunAsync(string signal, string worker, string directory, IReadOnlyList<string> options)
    {
        var started = Path.Combine(directory, "first-started");
        var finish = Path.Combine(directory, "first-finish");
        var secondRan = Path.Combine(directory, "second-ran");
        using var wrapper = CliRunner.Start([.. options, "lock", "exec", "--worker", worker, "--", "sh", "-c", First, "sh", started, finish]);
        var wrapperOutput = Task.WhenAll(wrapper.StandardOutput.ReadToEndAsync(), wrapper.StandardError.ReadToEndAsync());
        try
        {
            await UntilAsync(() => File.Exists(started) || wrapper.HasExited, "the first command to start");
            if (!File.Exists(started))
            {
                Assert.Fail($"the first lock exec ended early: {string.Concat(await wrapperOutput)}");
            }

            var command = int.Parse(File.ReadAllText(started).Trim(), System.Globalization.CultureInfo.InvariantCulture);

            await SignalAsync(wrapper.Id, signal);
            if (signal == "KILL")
            {
                await wrapper.WaitForExitAsync();
            }

            // While the first command lives, the worker is its: a second lock exec runs nothing.
            var second = await CliRunner.RunAsync([.. options, "lock", "exec", "--worker", worker, "--", "touch", secondRan]);
            Assert.True(Runs(command), "the first command still runs");
            Assert.True(second.ExitCode == 3, $"exit {second.ExitCode}: {second.Stdout}{second.Stderr}");
            Assert.Equal("LOCKED", second.Envelope.GetProperty("error").GetProperty("code").GetString());
            Assert.False(File.Exists(secondRan), "a second command ran while the first lives");
            var status = (await CliRunner.RunAsync([.. options, "lock", "status", "--worker", worker])).Succeeds("lock status");
            Assert.Equal("locked", status.GetProperty("state").GetString());
            Assert.Equal(command, status.GetProperty("pid").GetInt32());

            // Once it has ended, the worker is free again.
            File.WriteAllText(finish, string.Empty);
            await UntilAsync(() => !Runs(command), "the first command to end");
            if (signal == "TERM")
            {
                // SIGTERM was passed on (and ignored): agentlocks waited for its command and exits with its code.
                await wrapper.WaitForExitAsync();
                Assert.Equal(0, wrapper.ExitCode);
            }

            await UntilAsync(async () => (await CliRunner.RunAsync([.. options, "lock", "status", "--worker", worker])).Succeeds("lock status").GetProperty("state").GetString() != "locked", "the lock to be free");
            (await CliRunner.RunAsync([.. options, "lock", "exec", "--worker", worker, "--", "touch", secondRan])).Succeeds("lock exec");
            Assert.True(File.Exists(secondRan));
        }
        finally
        {
            File.WriteAllText(finish, string.Empty);
            if (!wrapper.HasExited)
            {
                wrapper.Kill();
            }

            await wrapper.WaitForExitAsync();
        }
    }

    /// <summary>True while <paramref name="pid"/> runs: present in /proc and not a zombie.</summary>
    private static bool Runs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < Bound, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
