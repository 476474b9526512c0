using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// A worker identity: the name of a worker directory that one live process may claim.
/// </summary>
/// <remarks>Usage: <c>var id = WorkerId.Parse("polecat-1");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<WorkerId>))]
[TypedId(Example = "polecat-1")]
public readonly partial struct WorkerId
{
    private static string? Validate(ref string text) => IdRules.WorkerId(text);
}
