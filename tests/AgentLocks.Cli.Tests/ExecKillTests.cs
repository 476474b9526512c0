namespace AgentLocks.Cli.Tests;

/// <summary><c>lock exec</c> on files, killed while its command runs (see <see cref="ExecKillScenario"/>).</summary>
public sealed class ExecKillTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentlocks-execkill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    public Task A_killed_lock_exec_never_lets_a_second_command_run_while_the_first_lives(string signal)
        => ExecKillScenario.RunAsync(signal, Directory.CreateDirectory(Path.Combine(_dir, "worker")).FullName, _dir, ["--json"]);
}
