using System.Globalization;

namespace AgentLocks;

/// <summary>What the identity locks ask the machine about processes; a seam so tests can simulate PID reuse or reboots.</summary>
internal interface IProcessProbe
{
    /// <summary>This host's name as gastown records it (the kernel's node name, not cut at the first dot).</summary>
    string HostName { get; }

    /// <summary>The Linux boot id, or null where there is none.</summary>
    string? BootId { get; }

    /// <summary>
    /// True when <paramref name="pid"/> runs. <c>EPERM</c> means it exists but belongs to another user: alive. A zombie
    /// (killed, not yet reaped by its parent, perhaps never under a PID 1 that does not reap) is dead.
    /// </summary>
    bool IsAlive(int pid);

    /// <summary>The start time of <paramref name="pid"/> in clock ticks since boot, or null when it cannot be read.</summary>
    long? StartTime(int pid);
}

/// <summary>The real machine: <c>kill(pid, 0)</c> and <c>/proc</c>.</summary>
internal sealed class LinuxProcessProbe : IProcessProbe
{
    public static readonly LinuxProcessProbe Instance = new(Native.ProbeSignal);

    private readonly Func<int, int> _probeSignal;

    /// <param name="probeSignal"><c>kill(pid, 0)</c>: 0 or the errno. A seam, because as root a real <c>EPERM</c> cannot happen.</param>
    internal LinuxProcessProbe(Func<int, int> probeSignal)
    {
        _probeSignal = probeSignal;
        HostName = ReadTrimmed("/proc/sys/kernel/hostname") ?? System.Net.Dns.GetHostName();
        BootId = ReadTrimmed("/proc/sys/kernel/random/boot_id");
    }

    public string HostName { get; }

    public string? BootId { get; }

    public bool IsAlive(int pid) => pid > 0 && (_probeSignal(pid) is 0 or Native.EPERM) && !IsZombie(pid);

    private static bool IsZombie(int pid) => ReadStat(pid) is { } stat && ParseState(stat) == 'Z';

    public long? StartTime(int pid) => ReadStat(pid) is { } stat ? ParseStartTime(stat) : null;

    /// <summary>Field 3 of <c>/proc/PID/stat</c>, the state (<c>R</c>, <c>S</c>, <c>Z</c>...), after the last ')'.</summary>
    internal static char? ParseState(string stat)
    {
        var close = stat.LastIndexOf(')');
        return close >= 0 && stat.Length > close + 2 ? stat[close + 2] : null;
    }

    /// <summary>Field 22 of <c>/proc/PID/stat</c>. The command name (field 2) may hold spaces and parentheses, so count from the last ')'.</summary>
    internal static long? ParseStartTime(string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After ')' come field 3 (state) onwards; start time is field 22, the 20th of those.
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 20 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
    }

    /// <summary><c>/proc/PID/stat</c>, or null when it cannot be read (the process is gone, or /proc is not mounted).</summary>
    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>What a recorded process identity (PID, start time, boot) says about that process now.</summary>
internal enum ProcessVerdict
{
    /// <summary>The recorded process still runs.</summary>
    Running,

    /// <summary>The machine has rebooted since the record was written: no process from then runs.</summary>
    Rebooted,

    /// <summary>No process has that PID.</summary>
    NotRunning,

    /// <summary>The PID is alive but started at another time: the recorder is gone and its PID reused.</summary>
    PidReused,
}

/// <summary>
/// The one rule for "does the process that wrote this record still run": same boot, PID alive, same start time
/// when both are known. Identity locks and the reservation store's mutex both ask here.
/// </summary>
internal static class ProcessIdentity
{
    /// <summary>Judges a recorded <paramref name="pid"/>; <paramref name="currentStartTime"/> is the PID's start time now, when read.</summary>
    public static ProcessVerdict Check(this IProcessProbe probe, int pid, long? startTime, string? bootId, out long? currentStartTime)
    {
        currentStartTime = null;
        if (bootId is not null && probe.BootId is not null && !string.Equals(bootId, probe.BootId, StringComparison.OrdinalIgnoreCase))
        {
            return ProcessVerdict.Rebooted;
        }

        if (!probe.IsAlive(pid))
        {
            return ProcessVerdict.NotRunning;
        }

        currentStartTime = startTime is null ? null : probe.StartTime(pid);
        return startTime is { } recorded && currentStartTime is { } current && current != recorded
            ? ProcessVerdict.PidReused
            : ProcessVerdict.Running;
    }
}
