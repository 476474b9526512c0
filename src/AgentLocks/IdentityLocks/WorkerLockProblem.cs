namespace AgentLocks;

/// <summary>A path a scan could not use, with the code and message of why.</summary>
/// <param name="Path">The directory or lock file.</param>
/// <param name="Code"><c>INVALID_LOCK</c> for a damaged lock file, <c>INTERNAL_ERROR</c> for an unreadable directory.</param>
/// <param name="Message">What went wrong.</param>
/// <remarks>Usage: <c>foreach (var p in scan.Problems) Console.Error.WriteLine($"{p.Path}: {p.Message}");</c></remarks>
public sealed record WorkerLockProblem(string Path, ErrorCode Code, string Message);
