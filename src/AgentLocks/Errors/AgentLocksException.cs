namespace AgentLocks;

/// <summary>Thrown by the AgentLocks APIs that do not return a result; <see cref="Code"/> says why.</summary>
/// <remarks>Usage: <c>catch (AgentLocksException e) when (e.Code == ErrorCode.Locked) { ... }</c></remarks>
public sealed class AgentLocksException : Exception
{
    /// <summary>Creates an exception with a code and message.</summary>
    /// <remarks>Usage: <c>throw new AgentLocksException(ErrorCode.InvalidArgs, "TTL must be 5 to 1440 minutes.");</c></remarks>
    public AgentLocksException(ErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Why the operation failed.</summary>
    /// <remarks>Usage: <c>e.Code.ToWireName()</c></remarks>
    public ErrorCode Code { get; }

    /// <summary>The error as data.</summary>
    /// <remarks>Usage: <c>var error = e.Error;</c></remarks>
    public AgentLocksError Error => new(Code, Message);
}
