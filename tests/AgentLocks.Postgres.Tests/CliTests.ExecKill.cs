using AgentLocks.Cli.Tests;

namespace AgentLocks.Postgres.Tests;

/// <summary><c>lock exec --postgres</c> killed while its command runs (see <see cref="ExecKillScenario"/>).</summary>
public sealed partial class CliTests
{
    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    public async Task A_killed_lock_exec_never_lets_a_second_command_run_while_the_first_lives(string signal)
    {
        // The scenario's own files, so that the root stays empty.
        var files = Directory.CreateTempSubdirectory("agentlocks-pg-execkill-").FullName;
        try
        {
            await ExecKillScenario.RunAsync(signal, "polecat-9", files, ["--json", "--root", _root, "--postgres", Postgres]);
            Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
        }
        finally
        {
            Directory.Delete(files, recursive: true);
        }
    }
}
