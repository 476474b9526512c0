using System.Diagnostics;

namespace AgentLocks.Tests.IdentityLocks;

/// <summary>A running <c>AgentLocks.Taker</c> child: read its lines, close its stdin to let it finish, or kill it.</summary>
internal sealed class TakerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private TakerProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>The taker's dll, built beside this test project (its output is not copied here).</summary>
    public static string TakerPath { get; } = FindTaker();

    public static TakerProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(TakerPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new TakerProcess(Process.Start(start)!);
    }

    /// <summary>The next line the taker prints; fails the test if it exits without printing one.</summary>
    public async Task<string> ReadLineAsync()
        => await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
            ?? throw new InvalidOperationException($"The taker {Pid} exited without answering.");

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Closes stdin: a holding taker releases its lock and exits.</summary>
    public async Task<int> FinishAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return _process.ExitCode;
    }

    /// <summary><c>kill -9</c>: the taker gets no chance to release anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string FindTaker()
    {
        // .../tests/AgentLocks.Tests/bin/<Configuration>/<tfm>/ -> .../tests/AgentLocks.Taker/bin/<Configuration>/<tfm>/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var tests = here.Parent.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "AgentLocks.Taker", "bin", configuration, tfm, "AgentLocks.Taker.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build tests/AgentLocks.Taker first.", path);
    }
}

/// <summary>A plain long-lived child (<c>sleep</c>) to stand for an agent process that is not ours.</summary>
internal sealed class SleepProcess : IAsyncDisposable
{
    private readonly Process _process = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;

    public int Pid => _process.Id;

    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }
}
