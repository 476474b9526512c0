using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// The command of <c>lock exec</c>, started stopped at a gate so that the lock can name <em>its</em> process as the
/// holder before it runs. A shell reads one line from a pipe whose only write end this process holds (reached as
/// <c>/proc/AGENTLOCKS_PID/fd/N</c>, so the command inherits no descriptor), then execs the command in place (same
/// PID, same start time). If this process dies before opening the gate (even by SIGKILL), the shell reads end of
/// file, or finds no such path, and exits 125 without running anything; once open, the command is the holder, so
/// killing <c>agentlocks</c> leaves the lock held for exactly as long as the command lives.
/// </summary>
internal sealed class GatedCommand : IDisposable
{
    // $1 is our PID, $2 the write end's descriptor: opened for reading through /proc, it reads our line or end of file.
    private const string Gate = """IFS= read -r go < "/proc/$1/fd/$2" && [ "$go" = run ] || exit 125; shift 2; exec "$@" """;

    private readonly Process _process;
    private readonly IReadOnlyList<string> _command;
    private readonly bool _json;
    private readonly FileStream _gate;
    private readonly SafeFileHandle _readEnd;
    private bool _opened;

    private GatedCommand(Process process, SafeFileHandle readEnd, SafeFileHandle gate, IReadOnlyList<string> command, bool json)
    {
        _process = process;
        _readEnd = readEnd;
        _gate = new FileStream(gate, FileAccess.Write, bufferSize: 0);
        _command = command;
        _json = json;
    }

    /// <summary>The command's process, which holds the lock.</summary>
    public int Pid => _process.Id;

    /// <summary>Starts <paramref name="command"/> stopped at the gate; with <paramref name="json"/> its stdout is kept off ours (the envelope's).</summary>
    public static GatedCommand Start(IReadOnlyList<string> command, bool json)
    {
        if (!CanRun(command[0]))
        {
            throw CommandLine.Invalid($"Cannot run '{command[0]}': no such executable.");
        }

        // Our read end stays open (closed on exec) so that the line written before the shell opens the pipe is kept.
        var (read, write) = Native.Pipe();
        try
        {
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = json };
            var fd = ((int)write.DangerousGetHandle()).ToString(CultureInfo.InvariantCulture);
            foreach (var arg in (string[])["-c", Gate, "agentlocks-exec", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), fd, .. command])
            {
                start.ArgumentList.Add(arg);
            }

            return new GatedCommand(Process.Start(start)!, read, write, command, json);
        }
        catch
        {
            read.Dispose();
            write.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the gate and waits for the command. SIGTERM and SIGHUP sent to <c>agentlocks</c> are passed on to it, and
    /// SIGINT (which a terminal sends to both) does not end <c>agentlocks</c> before it: the lock ends with the command.
    /// </summary>
    public async Task<CommandResult> RunAsync(string worker, CancellationToken cancellationToken)
    {
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, PassOn);
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, PassOn);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        // Both ends stay open until the command ends: the shell may open the pipe only after the line is written.
        _gate.Write("run\n"u8);
        _opened = true;

        // With --json, stdout carries only the envelope, so the command's output goes to stderr.
        var pump = _json ? _process.StandardOutput.BaseStream.CopyToAsync(Console.OpenStandardError(), cancellationToken) : Task.CompletedTask;
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await pump.ConfigureAwait(false);
        var data = new JsonObject
        {
            ["worker"] = worker,
            ["pid"] = Pid,
            ["command"] = new JsonArray([.. _command.Select(a => (JsonNode?)JsonValue.Create(a))]),
            ["exit_code"] = _process.ExitCode,
        };
        return new CommandResult(data, string.Empty, _process.ExitCode);
    }

    /// <summary>Closes the gate; if it was never opened the command does not run, and this waits for the shell to give up.</summary>
    public void Dispose()
    {
        _readEnd.Dispose();
        _gate.Dispose();
        if (!_opened)
        {
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void PassOn(PosixSignalContext context)
    {
        context.Cancel = true;
        Native.Signal(Pid, context.Signal == PosixSignal.SIGTERM ? Native.SIGTERM : Native.SIGHUP);
    }

    /// <summary>Whether <paramref name="name"/> is an executable file, as a path or on <c>$PATH</c>: a typo is <c>INVALID_ARGS</c>, not exit 127.</summary>
    private static bool CanRun(string name)
    {
        static bool Executable(string path)
            => File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

        return name.Contains('/', StringComparison.Ordinal)
            ? Executable(name)
            : (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Any(dir => Executable(Path.Combine(dir.Length == 0 ? "." : dir, name)));
    }
}
