using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// A bead (issue) that a reservation is made for, such as <c>bd-42</c>, <c>bb-101</c> or another tracker's
/// <c>PROJ/123</c>: like beadboard, any text that is not empty and has no white space at its ends.
/// </summary>
/// <remarks>Usage: <c>var id = BeadId.Parse("bd-42");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<BeadId>))]
[TypedId(Example = "bd-42")]
public readonly partial struct BeadId
{
    private static string? Validate(ref string text) => IdRules.BeadId(text);
}
