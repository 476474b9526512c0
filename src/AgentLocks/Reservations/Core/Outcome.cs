namespace AgentLocks;

/// <summary>A decision of the core: a value, or the error that refuses it. Refusals are data, not exceptions.</summary>
internal readonly record struct Outcome<T>(T? Value, AgentLocksError? Error)
    where T : class
{
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(AgentLocksError error) => new(null, error);

    /// <summary>The value, or the error thrown as an <see cref="AgentLocksException"/>.</summary>
    public T GetOrThrow() => Error is null ? Value! : throw Error.ToException();
}
