namespace AgentLocks;

/// <summary>
/// Declares the worker identity a partial class claims. The generator adds a static <c>WorkerId</c> property.
/// </summary>
/// <remarks>Usage: <c>[WorkerIdentity("polecat-1")] public partial class Polecat { }</c></remarks>
/// <param name="name">The worker id (letters, digits, '.', '_', '-').</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class WorkerIdentityAttribute(string name) : Attribute
{
    /// <summary>The worker id.</summary>
    /// <remarks>Usage: <c>attribute.Name</c></remarks>
    public string Name { get; } = name;
}
