using System.Text.Json.Nodes;

namespace AgentLocks.Cli;

/// <summary>One command: the words that name it, its name in the JSON envelope, the options it accepts, and what it does.</summary>
/// <param name="Words">The words after <c>agentlocks</c>, such as <c>["lock", "acquire"]</c>.</param>
/// <param name="JsonName">The <c>command</c> field of the envelope, such as <c>agent reserve</c>.</param>
/// <param name="Usage">One line of usage for help and errors.</param>
/// <param name="Options">The <c>--name value</c> options it accepts, besides the global ones.</param>
/// <param name="Flags">The flags it accepts, besides <c>--json</c>.</param>
/// <param name="Run">The work.</param>
internal sealed record CommandSpec(
    string[] Words,
    string JsonName,
    string Usage,
    string[] Options,
    string[] Flags,
    Func<CommandContext, CancellationToken, Task<CommandResult>> Run);

/// <summary>
/// What a command produced: the envelope's <c>data</c>, the human answer, an exit code when it is not 0, and text
/// for stderr (warnings, or a hook's reason, which is what its caller reads).
/// </summary>
internal sealed record CommandResult(JsonNode? Data, string Human, int ExitCode = 0, string Stderr = "");
