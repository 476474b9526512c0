namespace AgentLocks;

/// <summary>
/// Declares a scope a partial class reserves. The generator adds a member of the nested <c>Scopes</c> class
/// and a <c>ReserveScopesAsync</c> method that reserves every declared scope all-or-nothing.
/// </summary>
/// <remarks>Usage: <c>[ReservesScope("docs/auth.md", Mode = ReservationMode.Shared, TtlMinutes = 30)]</c></remarks>
/// <param name="pattern">The scope: a path or glob (<c>src/auth/**</c>) or a non-path scope (<c>deploy:prod</c>).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReservesScopeAttribute(string pattern) : Attribute
{
    /// <summary>The scope pattern.</summary>
    /// <remarks>Usage: <c>attribute.Pattern</c></remarks>
    public string Pattern { get; } = pattern;

    /// <summary>Exclusive (the default) or shared.</summary>
    /// <remarks>Usage: <c>Mode = ReservationMode.Shared</c></remarks>
    public ReservationMode Mode { get; set; } = ReservationMode.Exclusive;

    /// <summary>The lease in whole minutes; 0 (the default) takes the store's default TTL.</summary>
    /// <remarks>Usage: <c>TtlMinutes = 30</c></remarks>
    public int TtlMinutes { get; set; }

    /// <summary>The name of the generated member; derived from the pattern when null.</summary>
    /// <remarks>Usage: <c>Name = "AuthDocs"</c></remarks>
    public string? Name { get; set; }
}
