namespace AgentLocks.Taker;

/// <summary>Placeholder: filled in by the issue that needs it.</summary>
internal static class ReservationTaker
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("not implemented: " + string.Join(' ', args));
        return Task.FromResult(2);
    }
}
