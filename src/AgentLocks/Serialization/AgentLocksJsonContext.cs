using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// Source-generated JSON for every type AgentLocks reads or writes, so the library and the CLI stay
/// trimmable and Native AOT compatible. Add a <c>[JsonSerializable]</c> line for each new persisted type.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [typeof(UtcTimestampJsonConverter)])]
[JsonSerializable(typeof(AgentRecord))]
[JsonSerializable(typeof(AgentMessage))]
[JsonSerializable(typeof(ReservationStatus))]
internal sealed partial class AgentLocksJsonContext : JsonSerializerContext
{
}
