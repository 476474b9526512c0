namespace AgentLocks.Cli;

/// <summary>
/// A lock or reservation a command leaves held on purpose (until its TTL or a release): the caller of the command
/// owns it, not this process. The <c>[TakesOwnership]</c> parameter is the hand-off analyzer AGL001 sees.
/// </summary>
internal static class LeftHeld
{
    /// <summary>Leaves <paramref name="handle"/> held for the caller of the command; it is never disposed here.</summary>
    public static void ForCaller([TakesOwnership] ILockHandle handle) => ArgumentNullException.ThrowIfNull(handle);
}
