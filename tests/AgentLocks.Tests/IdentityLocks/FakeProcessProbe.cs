namespace AgentLocks.Tests.IdentityLocks;

/// <summary>The real machine, except where a test says a PID is dead, has another start time, or the host or boot differs.</summary>
internal sealed class FakeProcessProbe(string? hostName = null, string? bootId = null) : IProcessProbe
{
    public HashSet<int> Dead { get; } = [];

    public Dictionary<int, long> StartTimes { get; } = [];

    public string HostName { get; } = hostName ?? LinuxProcessProbe.Instance.HostName;

    public string? BootId { get; } = bootId ?? LinuxProcessProbe.Instance.BootId;

    /// <summary>Runs before each liveness probe: lets a test act between a scan and the decision that follows it.</summary>
    public Action<int>? BeforeProbe { get; set; }

    public bool IsAlive(int pid)
    {
        BeforeProbe?.Invoke(pid);
        return !Dead.Contains(pid) && LinuxProcessProbe.Instance.IsAlive(pid);
    }

    public long? StartTime(int pid) => StartTimes.TryGetValue(pid, out var ticks) ? ticks : LinuxProcessProbe.Instance.StartTime(pid);

    public LockEnvironment Environment(TimeProvider? time = null) => LockEnvironment.Default with { Processes = this, Time = time ?? TimeProvider.System };
}
