using System.Text;
using System.Text.Json;
using AgentLocks.Cli.Commands;

namespace AgentLocks.Cli;

/// <summary>Parses an invocation, runs its command, and prints the answer: the JSON envelope or a human text.</summary>
internal static class CliApp
{
    internal static readonly string[] GlobalOptions = ["root", "postgres"];

    /// <summary>Every command of cli.md. Each area lists its own commands.</summary>
    internal static readonly CommandSpec[] Commands = [.. LockCommands.All, .. ReservationCommands.All, .. DoctorCommand.All];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        // Only before "--": what follows is the command of `lock exec` and its own options.
        var json = args.TakeWhile(a => a != "--").Contains("--json");
        var jsonName = "unknown";
        try
        {
            var line = CommandLine.Parse(args);
            var spec = Find(line.Words);
            if (spec is null)
            {
                if (line.Words.Count == 0 || line.Flags.Contains("help"))
                {
                    await stdout.WriteLineAsync(Help()).ConfigureAwait(false);
                    return line.Words.Count == 0 && !line.Flags.Contains("help") ? ExitCodes.For(ErrorCode.InvalidArgs) : ExitCodes.Done;
                }

                throw CommandLine.Invalid($"Unknown command '{string.Join(' ', line.Words)}'.{Environment.NewLine}{Help()}");
            }

            jsonName = spec.JsonName;
            if (line.Flags.Contains("help"))
            {
                await stdout.WriteLineAsync("usage: agentlocks " + spec.Usage).ConfigureAwait(false);
                return ExitCodes.Done;
            }

            Validate(spec, line);
            await using var context = new CommandContext(
                line,
                ResolveRoot(line.Options.GetValueOrDefault("root")),
                line.Options.GetValueOrDefault("postgres") ?? NullIfEmpty(Environment.GetEnvironmentVariable("AGENTLOCKS_POSTGRES")),
                json);
            var result = await Backends.RunnerFor(spec, context)(context, cancellationToken).ConfigureAwait(false);
            if (json)
            {
                await stdout.WriteLineAsync(Envelope(jsonName, result.Data, null)).ConfigureAwait(false);
            }
            else if (result.Human.Length > 0)
            {
                await stdout.WriteLineAsync(result.Human).ConfigureAwait(false);
            }

            return result.ExitCode;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = e switch
            {
                AgentLocksException known => known.Error,
                FormatException format => new AgentLocksError(ErrorCode.InvalidArgs, format.Message),
                _ => new AgentLocksError(ErrorCode.InternalError, $"{e.GetType().Name}: {e.Message}"),
            };
            if (json)
            {
                await stdout.WriteLineAsync(Envelope(jsonName, null, error)).ConfigureAwait(false);
            }
            else
            {
                await stderr.WriteLineAsync($"agentlocks: {error.Code.ToWireName()}: {error.Message}").ConfigureAwait(false);
            }

            return ExitCodes.For(error.Code);
        }
    }

    /// <summary>The command whose words the invocation starts with; the longest match wins.</summary>
    private static CommandSpec? Find(IReadOnlyList<string> words)
        => Commands
            .Where(c => c.Words.Length <= words.Count && c.Words.SequenceEqual(words.Take(c.Words.Length)))
            .OrderByDescending(c => c.Words.Length)
            .FirstOrDefault();

    private static void Validate(CommandSpec spec, CommandLine line)
    {
        if (line.Words.Count > spec.Words.Length)
        {
            throw CommandLine.Invalid($"Unexpected argument '{line.Words[spec.Words.Length]}'. Usage: agentlocks {spec.Usage}");
        }

        foreach (var name in line.Options.Keys)
        {
            if (!spec.Options.Contains(name) && !GlobalOptions.Contains(name))
            {
                throw CommandLine.Invalid($"Unknown option --{name}. Usage: agentlocks {spec.Usage}");
            }
        }

        foreach (var name in line.Flags)
        {
            if (name != "json" && !spec.Flags.Contains(name))
            {
                throw CommandLine.Invalid($"Unknown option --{name}. Usage: agentlocks {spec.Usage}");
            }
        }
    }

    internal static string ResolveRoot(string? option)
    {
        var root = option
            ?? NullIfEmpty(Environment.GetEnvironmentVariable("AGENTLOCKS_ROOT"))
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".agentlocks");
        return Path.GetFullPath(root);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>The envelope of cli.md: exactly one object, <c>ok</c> true only with no error.</summary>
    private static string Envelope(string command, System.Text.Json.Nodes.JsonNode? data, AgentLocksError? error)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("ok", error is null);
            writer.WriteString("command", command);
            writer.WritePropertyName("data");
            if (data is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                data.WriteTo(writer);
            }

            writer.WritePropertyName("error");
            if (error is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteString("code", error.Code.ToWireName());
                writer.WriteString("message", error.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Help()
    {
        var text = new StringBuilder("usage: agentlocks [--root DIR] [--postgres CONN] [--json] <command> [options]").AppendLine().AppendLine();
        foreach (var spec in Commands)
        {
            text.Append("  ").AppendLine(spec.Usage);
        }

        text.Append("  ").Append(ShellCompletion.Verb).AppendLine(" bash|zsh|fish").AppendLine().AppendLine("agentlocks --version; agentlocks <command> --help");

        return text.ToString().TrimEnd();
    }
}
