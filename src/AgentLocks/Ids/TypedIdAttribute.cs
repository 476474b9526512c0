namespace AgentLocks;

/// <summary>
/// Marks a <c>readonly partial struct</c> as a typed ID: the library's own generator
/// (<c>generators/AgentLocks.Generators/TypedIds</c>) writes the members every ID shares, and the struct declares
/// only its docs, <c>private static string? Validate(ref string text)</c> (the broken rule or null; it may rewrite
/// <c>text</c> to its canonical form) and its
/// <c>[JsonConverter(typeof(TypedIdJsonConverter&lt;T&gt;))]</c>, which System.Text.Json's source generator must
/// find in hand-written source (one generator does not see another's output).
/// </summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
internal sealed class TypedIdAttribute : Attribute
{
    /// <summary>A valid ID, shown in the generated usage examples.</summary>
    public required string Example { get; init; }

    /// <summary>The name in error messages; by default the type name in lowercase words (<c>ReservationId</c>: <c>reservation id</c>).</summary>
    public string? Kind { get; init; }
}
