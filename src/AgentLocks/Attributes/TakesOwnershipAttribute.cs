namespace AgentLocks;

/// <summary>
/// Marks a parameter that takes ownership of the handle passed to it, so analyzer <c>AGL001</c> treats
/// the call as handing the handle on rather than leaking it.
/// </summary>
/// <remarks>Usage: <c>void Keep([TakesOwnership] IAsyncDisposable handle)</c></remarks>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = true)]
public sealed class TakesOwnershipAttribute : Attribute
{
}
