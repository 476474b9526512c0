namespace AgentLocks.Cli.Commands;

/// <summary>Placeholder: the commands of this area are added by their issue.</summary>
internal static class DoctorCommand
{
    public static CommandSpec[] All { get; } = [];
}
