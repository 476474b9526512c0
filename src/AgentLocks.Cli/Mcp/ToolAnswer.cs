using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;

namespace AgentLocks.Cli.Mcp;

/// <summary>
/// What a tool returns: a short text for the model and the same facts as structured content. Success carries
/// <c>"ok": true</c>; an error carries <c>"ok": false</c>, <c>error.code</c> (the <see cref="ErrorCode"/> wire
/// name), <c>error.message</c> and <c>next_steps</c>, and is marked <c>isError</c>.
/// </summary>
internal static class ToolAnswer
{
    public static CallToolResult Success(string text, JsonObject data)
    {
        data.Insert(0, "ok", true);
        return Result(text, data, isError: false);
    }

    /// <summary>A refusal or failure; <paramref name="extra"/> adds fields such as <c>conflicts</c>.</summary>
    public static CallToolResult Error(AgentLocksError error, IReadOnlyList<string> nextSteps, string? details = null, JsonObject? extra = null)
    {
        var data = new JsonObject
        {
            ["ok"] = false,
            ["error"] = new JsonObject { ["code"] = error.Code.ToWireName(), ["message"] = error.Message },
        };
        foreach (var (name, value) in extra ?? [])
        {
            data[name] = value?.DeepClone();
        }

        data["next_steps"] = new JsonArray([.. nextSteps.Select(s => (JsonNode?)s)]);
        var text = $"{error.Code.ToWireName()}: {error.Message}"
            + (details is null ? string.Empty : Environment.NewLine + details)
            + (nextSteps.Count == 0 ? string.Empty : Environment.NewLine + "What you can do: " + string.Join(" ", nextSteps));
        return Result(text, data, isError: true);
    }

    private static CallToolResult Result(string text, JsonObject data, bool isError) => new()
    {
        Content = [new TextContentBlock { Text = text }],
        StructuredContent = Element(data),
        IsError = isError,
    };

    /// <summary>The node as an element, written by hand so no reflection-based serializer is needed (Native AOT).</summary>
    private static JsonElement Element(JsonNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return JsonElement.Parse(buffer.WrittenSpan);
    }
}
