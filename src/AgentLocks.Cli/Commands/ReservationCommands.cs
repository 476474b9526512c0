namespace AgentLocks.Cli.Commands;

/// <summary>Placeholder: the commands of this area are added by their issue.</summary>
internal static class ReservationCommands
{
    public static CommandSpec[] All { get; } = [];
}
