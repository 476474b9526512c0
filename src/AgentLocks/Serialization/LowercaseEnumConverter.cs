using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>Writes enum members as beadboard does (<c>active</c>, <c>released</c>, <c>shared</c>); reads any case.</summary>
internal sealed class LowercaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
