using System.Text.Json;
using ModelContextProtocol.Protocol;

namespace AgentLocks.Cli.Mcp;

/// <summary>One tool: its name, what a model reads about it, its JSON input schema, and its work.</summary>
/// <param name="Name">The tool's name.</param>
/// <param name="Description">What it does, when to call it, and what to do when it fails, written for a model.</param>
/// <param name="Schema">The JSON Schema of its arguments; its <c>properties</c> are the only names it accepts.</param>
/// <param name="ReadOnly">True when it changes nothing.</param>
/// <param name="Run">The work: the arguments, read against the schema, to an answer.</param>
internal sealed record McpTool(string Name, string Description, string Schema, bool ReadOnly, Func<ToolArguments, CancellationToken, Task<CallToolResult>> Run)
{
    private readonly JsonElement _schema = JsonElement.Parse(Schema);

    /// <summary>The argument names the schema declares.</summary>
    public IReadOnlyCollection<string> Accepted => [.. _schema.GetProperty("properties").EnumerateObject().Select(p => p.Name)];

    /// <summary>The tool as <c>tools/list</c> shows it.</summary>
    public Tool ToProtocol() => new()
    {
        Name = Name,
        Description = Description,
        InputSchema = _schema,
        Annotations = new ToolAnnotations { ReadOnlyHint = ReadOnly, DestructiveHint = false, OpenWorldHint = false },
    };
}
