using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// <c>reservations/active.json</c>: beadboard's <c>{"reservations": [...]}</c>, plus the last fencing token,
/// a field beadboard ignores (and drops when it rewrites the file; <see cref="FencingCeiling"/> covers that).
/// </summary>
internal sealed record ActiveFile
{
    [JsonPropertyName("reservations")]
    public required List<Reservation> Reservations { get; init; }

    [JsonPropertyName("agentlocks_last_fencing_token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastFencingToken { get; init; }
}

/// <summary>
/// <c>reservations/agentlocks.json</c>: a ceiling above every fencing token handed out, raised in blocks so it
/// is written rarely. When beadboard has rewritten <c>active.json</c> without our last token, counting resumes
/// above the ceiling, so tokens still only grow.
/// </summary>
internal sealed record FencingCeiling([property: JsonPropertyName("fencing_token_ceiling")] long Ceiling);
