namespace AgentLocks;

/// <summary>A failure as data: its code and a message for people.</summary>
/// <param name="Code">What went wrong.</param>
/// <param name="Message">A sentence that says what and, where it helps, what to do.</param>
/// <remarks>Usage: <c>if (!result.Succeeded) Console.Error.WriteLine(result.Error!.Message);</c></remarks>
public sealed record AgentLocksError(ErrorCode Code, string Message)
{
    /// <summary>The exception that carries this error.</summary>
    /// <remarks>Usage: <c>throw error.ToException();</c></remarks>
    public AgentLocksException ToException() => new(Code, Message);
}
