using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentLocks.Cli.Commands;
using AgentLocks.Cli.Mcp;

namespace AgentLocks.Cli;

/// <summary>Parses an invocation, runs its command, and prints the answer: the JSON envelope or a human text.</summary>
internal static class CliApp
{
    /// <summary>The global options that take a value.</summary>
    internal static readonly string[] GlobalOptions = [.. CommandHelp.GlobalOptions.Where(o => o.Value.Value.Length > 0).Select(o => o.Key)];

    /// <summary>Every command of cli.md. Each area lists its own commands.</summary>
    internal static readonly CommandSpec[] Commands = [.. LockCommands.All, .. ReservationCommands.All, .. DoctorCommand.All, .. McpCommand.All, .. PathCheckCommands.All, .. GuardCommands.All, ShellCompletion.Spec];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        // Only before "--": what follows is the command of `lock exec` and its own options.
        var json = args.TakeWhile(a => a != "--").Any(a => a == "--json" || a.StartsWith("--json=", StringComparison.Ordinal));
        var jsonName = "unknown";
        try
        {
            var line = CommandLine.Parse(args);
            var spec = Find(line.Words);
            if (spec is null)
            {
                if (line.Error is { } unnamed)
                {
                    throw unnamed;
                }

                // No command, or a group's name (`lock`), is a usage error; with --help it asks for the list.
                IReadOnlyList<string> group = CommandHelp.About(line.Words) is null ? [] : line.Words;
                var help = CommandHelp.RenderGroup(group, Commands);
                return line.Flags.Contains("help") && group.Count == line.Words.Count
                    ? await AnswerAsync(stdout, json, "help", new JsonObject { ["usage"] = help }, help).ConfigureAwait(false)
                    : throw CommandLine.Invalid(line.Words.Count == 0
                        ? $"No command given.{Environment.NewLine}{help}"
                        : $"Unknown command '{string.Join(' ', line.Words)}'.{Environment.NewLine}{help}");
            }

            jsonName = spec.JsonName;
            if (line.Error is { } invalid)
            {
                throw invalid;
            }

            if (line.Flags.Contains("help"))
            {
                var help = CommandHelp.Render(spec);
                return await AnswerAsync(stdout, json, jsonName, new JsonObject { ["usage"] = help }, help).ConfigureAwait(false);
            }

            Validate(spec, line);
            await using var context = new CommandContext(
                line,
                ResolveRoot(line.Options.GetValueOrDefault("root")),
                line.Options.GetValueOrDefault("postgres") ?? NullIfEmpty(Environment.GetEnvironmentVariable("AGENTLOCKS_POSTGRES")),
                json);
            var result = await spec.Run(context, cancellationToken).ConfigureAwait(false);
            await AnswerAsync(stdout, json, jsonName, result.Data, result.Human).ConfigureAwait(false);
            if (result.Stderr.Length > 0)
            {
                await stderr.WriteLineAsync(result.Stderr).ConfigureAwait(false);
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

    /// <summary>Prints a success: the envelope with <paramref name="data"/>, or <paramref name="human"/>; returns exit code 0.</summary>
    private static async Task<int> AnswerAsync(TextWriter stdout, bool json, string command, JsonNode? data, string human)
    {
        if (json)
        {
            await stdout.WriteLineAsync(Envelope(command, data, null)).ConfigureAwait(false);
        }
        else if (human.Length > 0)
        {
            await stdout.WriteLineAsync(human).ConfigureAwait(false);
        }

        return ExitCodes.Done;
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

    /// <summary>The coordination root: a directory, or a path where one may be created; anything else (<c>/dev/null</c>, a file) is <c>INVALID_ARGS</c>.</summary>
    internal static string ResolveRoot(string? option)
    {
        var root = Path.GetFullPath(option
            ?? NullIfEmpty(Environment.GetEnvironmentVariable("AGENTLOCKS_ROOT"))
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".agentlocks"));
        return Path.Exists(root) && !Directory.Exists(root)
            ? throw CommandLine.Invalid($"The root {root} is not a directory.")
            : root;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>The envelope of cli.md: exactly one object, <c>ok</c> true only with no error.</summary>
    private static string Envelope(string command, JsonNode? data, AgentLocksError? error)
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
}
