namespace AgentLocks.Cli;

/// <summary>The one place that maps error codes to exit codes (cli.md, "Exit codes").</summary>
internal static class ExitCodes
{
    public const int Done = 0;

    public static int For(ErrorCode code) => code switch
    {
        ErrorCode.InternalError => 1,
        ErrorCode.InvalidArgs => 2,
        ErrorCode.ReservationConflict or ErrorCode.ReservationStaleFound or ErrorCode.Locked => 3,
        ErrorCode.AgentNotFound or ErrorCode.ReservationNotFound or ErrorCode.ReleaseForbidden or ErrorCode.NotLocked or ErrorCode.MessageNotFound => 4,
        ErrorCode.StoreCorrupt or ErrorCode.InvalidLock => 5,
        _ => 1,
    };
}
