using System.Diagnostics;

namespace AgentLocks;

/// <summary>Whether the process that wrote a lock still runs: its PID is alive and, when recorded, its start time matches.</summary>
internal static class ProcessLiveness
{
    /// <summary>Start times are derived from boot time and jiffies; a second of slack still tells a reused PID apart.</summary>
    private static readonly TimeSpan StartTimeSlack = TimeSpan.FromSeconds(1);

    /// <summary>This process's start time, recorded beside its PID.</summary>
    public static DateTimeOffset? CurrentStartTime { get; } = TryGetStartTime(Environment.ProcessId, out var start) ? start : null;

    /// <summary>True when <paramref name="pid"/> runs and, if both start times are known, is the same process (not a reused PID).</summary>
    public static bool IsAlive(int pid, DateTimeOffset? startedAt)
        => pid > 0
            && TryGetStartTime(pid, out var actual)
            && (startedAt is null || actual is null || (actual.Value - startedAt.Value).Duration() <= StartTimeSlack);

    /// <summary>False when no such process runs; <paramref name="start"/> is null when it runs but may not be inspected.</summary>
    private static bool TryGetStartTime(int pid, out DateTimeOffset? start)
    {
        start = null;
        try
        {
            using var process = Process.GetProcessById(pid);
            start = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false; // it exited while we looked
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Another user's process that we may not inspect is alive all the same (gastown counts it dead).
            return true;
        }
    }
}
