namespace AgentLocks;

/// <summary>
/// Declares the agent a partial class runs as. The generator adds a static <c>AgentId</c> property.
/// </summary>
/// <remarks>Usage: <c>[AgentIdentity("auth-refactorer")] public partial class AuthRefactorer { }</c></remarks>
/// <param name="id">The agent id (lowercase words joined by dashes, 3 to 48 characters).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class AgentIdentityAttribute(string id) : Attribute
{
    /// <summary>The agent id.</summary>
    /// <remarks>Usage: <c>attribute.Id</c></remarks>
    public string Id { get; } = id;
}
