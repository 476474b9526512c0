using System.Diagnostics;

namespace AgentLocks.Tests.IdentityLocks;

/// <summary>
/// A real zombie: a child killed with SIGKILL whose parent (a <c>sleep</c>, which never calls <c>wait</c>) does not
/// reap it, as under a PID 1 that never reaps. Its PID answers <c>kill(pid, 0)</c> until the parent goes.
/// </summary>
internal sealed class Zombie : IDisposable
{
    private readonly Process _parent;

    private Zombie(Process parent, int pid, long startTime)
    {
        _parent = parent;
        Pid = pid;
        StartTime = startTime;
    }

    public int Pid { get; }

    /// <summary>Its start time while it ran, as a holder records it.</summary>
    public long StartTime { get; }

    public static async Task<Zombie> StartAsync()
    {
        // The shell starts the child, prints its PID, then becomes a sleep that never reaps it.
        var parent = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 600 & echo $!; exec sleep 600"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var pid = int.Parse((await parent.StandardOutput.ReadLineAsync())!, System.Globalization.CultureInfo.InvariantCulture);
        var startTime = LinuxProcessProbe.Instance.StartTime(pid)!.Value;
        Assert.True(Native.Signal(pid, Native.SIGKILL));

        // The kernel turns it into a zombie as it delivers the signal: wait for that state, bounded.
        var deadline = Stopwatch.StartNew();
        while (State(pid) != 'Z')
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"process {pid} never became a zombie (state {State(pid)})");
            await Task.Delay(10);
        }

        Assert.Equal(0, Native.ProbeSignal(pid));
        return new Zombie(parent, pid, startTime);
    }

    public void Dispose()
    {
        _parent.Kill();
        _parent.WaitForExit();
        _parent.Dispose();
    }

    private static char? State(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }
}
