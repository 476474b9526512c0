namespace AgentLocks;

/// <summary>
/// The one place that decides what a lock file means: foreign host first (a local probe says nothing about
/// another host's PIDs), then reboot, dead PID, reused PID. Every operation (status, acquire, release, clean,
/// collisions) asks here.
/// </summary>
internal static class LockJudge
{
    public static WorkerLockStatus Judge(string workerDirectory, WorkerLockInfo? info, LockEnvironment environment)
    {
        if (info is null)
        {
            return new WorkerLockStatus(workerDirectory, WorkerLockState.Unlocked, null, null, "no lock file");
        }

        var (state, reason) = Decide(info, environment.Processes);
        var age = environment.Time.GetUtcNow() - info.AcquiredAt;
        return new WorkerLockStatus(workerDirectory, state, info, age < TimeSpan.Zero ? TimeSpan.Zero : age, reason);
    }

    /// <summary>True when <paramref name="info"/> is held by the live process <paramref name="pid"/> on this host (the owner check of a release by PID).</summary>
    public static bool IsHeldBy(WorkerLockInfo info, int pid, IProcessProbe processes)
        => info.Pid == pid && Decide(info, processes).State == WorkerLockState.Locked;

    private static (WorkerLockState State, string Reason) Decide(WorkerLockInfo info, IProcessProbe processes)
    {
        if (!string.IsNullOrEmpty(info.HostName) && !string.Equals(info.HostName, processes.HostName, StringComparison.OrdinalIgnoreCase))
        {
            return (WorkerLockState.ForeignHost, $"written on host '{info.HostName}', this is '{processes.HostName}': only a force release takes it");
        }

        return processes.Check(info.Pid, info.ProcessStartTime, info.BootId, out var current) switch
        {
            ProcessVerdict.Rebooted => (WorkerLockState.Stale, "the machine has rebooted since the lock was taken"),
            ProcessVerdict.NotRunning => (WorkerLockState.Stale, $"process {info.Pid} is not running"),
            ProcessVerdict.PidReused => (WorkerLockState.Stale, $"PID {info.Pid} now belongs to another process (start time {current}, the holder's was {info.ProcessStartTime})"),
            _ => (WorkerLockState.Locked, $"held by process {info.Pid}"),
        };
    }
}
