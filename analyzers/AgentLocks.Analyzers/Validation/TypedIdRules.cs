namespace AgentLocks.Analyzers.Validation;

/// <summary>The typed IDs whose text the analyzers check: the kind named in messages and the runtime's own rule.</summary>
internal static class TypedIdRules
{
    private static readonly Dictionary<string, (string Kind, Func<string, string?> Rule)> ByTypeName = new(StringComparer.Ordinal)
    {
        ["AgentId"] = ("agent id", IdRules.AgentId),
        ["WorkerId"] = ("worker id", IdRules.WorkerId),
        ["BeadId"] = ("bead id", IdRules.BeadId),
        ["ReservationId"] = ("reservation id", IdRules.ReservationId),
        ["SessionId"] = ("session id", IdRules.SessionId),
        ["ScopePattern"] = ("scope", text => ScopeGlob.Normalize(text, out _)),
    };

    /// <summary>The kind and broken rule of <paramref name="text"/> as an <c>AgentLocks.<paramref name="typeName"/></c>; false when valid or not a typed ID.</summary>
    public static bool TryExplain(string typeName, string text, out string kind, out string error)
    {
        kind = error = string.Empty;
        if (!ByTypeName.TryGetValue(typeName, out var entry) || entry.Rule(text) is not { } broken)
        {
            return false;
        }

        (kind, error) = (entry.Kind, broken);
        return true;
    }
}
