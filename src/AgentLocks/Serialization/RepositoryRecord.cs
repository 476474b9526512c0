using System.Text.Json;

namespace AgentLocks;

/// <summary>
/// <c>reservations/agentlocks-repository.json</c>: the repository root the first agent that knew one recorded, so
/// an agent that runs outside the repository without <c>--repo</c> still compares scopes under the same root.
/// Created once, atomically; never rewritten (remove it to record another root). beadboard does not read it.
/// </summary>
internal sealed record RepositoryRecord(string Repository)
{
    /// <exception cref="JsonException">It is not a record of an absolute directory.</exception>
    public static RepositoryRecord Read(ReadOnlySpan<byte> json) => ReservationJson.ReadDocument(json, static (ref Utf8JsonReader reader) =>
    {
        string? repository = null;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "repository" && reader.TokenType == JsonTokenType.String)
                {
                    repository = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        return repository is { Length: > 0 } && Path.IsPathFullyQualified(repository)
            ? new RepositoryRecord(repository)
            : throw new JsonException("agentlocks-repository.json must be an object with an absolute 'repository' path.");
    });

    /// <summary>Indented, with a trailing newline, like the other documents.</summary>
    public byte[] ToBytes() => StoreDocument.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("repository"u8, Repository);
        writer.WriteEndObject();
    });
}
