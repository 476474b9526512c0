using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// An agent's identity (beadboard's rule: lowercase letters and digits in dash-separated words, 3 to 48 characters).
/// </summary>
/// <remarks>Usage: <c>var id = AgentId.Parse("auth-refactorer");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<AgentId>))]
[TypedId(Example = "auth-refactorer")]
public readonly partial struct AgentId
{
    private static string? Validate(ref string text) => IdRules.AgentId(text);
}
