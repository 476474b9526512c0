namespace AgentLocks;

/// <summary>
/// A lock or reservation left held on purpose past the code that took it: the CLI's <c>lock acquire</c> and
/// <c>reserve</c> (the caller of the command owns it until its TTL or a release), a test that keeps a lock to see it
/// conflict, expire or be taken over. The <c>[TakesOwnership]</c> parameter is the hand-off analyzer AGL001 sees.
/// </summary>
internal static class LeftHeld
{
    /// <summary>Leaves <paramref name="handle"/> held: it is never disposed by the code that took it.</summary>
    public static void OnPurpose([TakesOwnership] ILockHandle handle) => ArgumentNullException.ThrowIfNull(handle);
}
