using System.Diagnostics;

namespace AgentLocks.Tests.Reservations;

/// <summary>A running taker (<c>tests/AgentLocks.Taker</c>) in reservation mode: lines in, lines out.</summary>
internal sealed class ReservationTakerProcess : IDisposable
{
    private static readonly TimeSpan ReplyBound = TimeSpan.FromSeconds(60);
    private readonly Process _process;

    private ReservationTakerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static ReservationTakerProcess Start(params string[] args)
    {
        // Built beside this test project by its project reference; the same configuration and framework.
        var taker = AppContext.BaseDirectory.Replace("AgentLocks.Tests", "AgentLocks.Taker", StringComparison.Ordinal);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(taker, "AgentLocks.Taker.dll"));
        start.ArgumentList.Add("reserve");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new ReservationTakerProcess(Process.Start(start)!);
    }

    public Task SendAsync(string line) => _process.StandardInput.WriteLineAsync(line);

    /// <summary>The next line the taker prints; the bound only turns a hang into a failure.</summary>
    public async Task<string> ReadLineAsync()
        => await _process.StandardOutput.ReadLineAsync().WaitAsync(ReplyBound) ?? throw new InvalidOperationException("The taker exited.");

    /// <summary>SIGKILL, as <c>kill -9</c>: no finally block or disposal runs in the taker.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
