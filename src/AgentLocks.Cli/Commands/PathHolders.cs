using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentLocks.Cli.Commands;

/// <summary>How a path stands for an agent: nobody else holds it, it holds it, others share it, or another holds it exclusively.</summary>
internal enum PathState
{
    Free,
    Ours,
    Shared,
    Held,
}

/// <summary>One path and the live reservations of others that cover it.</summary>
internal sealed record PathHold(string Path, PathState State, IReadOnlyList<Reservation> Others);

/// <summary>
/// The one rule behind <c>check</c>, the commit guard and the editor hook: which live reservations cover a path,
/// judged for the agent asking. With no agent, every reservation is someone else's.
/// </summary>
internal static class PathHolders
{
    /// <summary>The live reservations now (a status: expired ones are swept first), judged for each path.</summary>
    public static async Task<IReadOnlyList<PathHold>> JudgeAsync(IReservationStore store, RepositoryRoot repository, AgentId? agent, IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var status = await store.GetStatusAsync(null, cancellationToken).ConfigureAwait(false);
        return paths.Distinct(StringComparer.Ordinal).Select(path =>
        {
            var covering = status.Reservations.Where(r => repository.Covers(r.Scope, path)).ToList();
            var others = covering.Where(r => r.AgentId != agent).ToList();
            var state = others.Exists(r => r.Mode == ReservationMode.Exclusive) ? PathState.Held
                : others.Count > 0 ? PathState.Shared
                : covering.Count > 0 ? PathState.Ours
                : PathState.Free;
            return new PathHold(path, state, others);
        }).ToList();
    }

    /// <summary><c>free</c>, <c>ours</c>, <c>shared</c>, <c>held</c>.</summary>
    public static string Name(PathState state) => state.ToString().ToLowerInvariant();

    /// <summary>One line per holder: the path, who holds it, the scope, the bead and until when.</summary>
    public static IEnumerable<string> Describe(PathHold hold)
        => hold.Others.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{Quote(hold.Path)}: reserved by {r.AgentId} ({r.Mode.ToWireName()} scope {r.Scope}, bead {r.BeadId}, until {UtcTimestampJsonConverter.Text(r.ExpiresAt)})"));

    public static JsonObject Json(PathHold hold) => new()
    {
        ["path"] = hold.Path,
        ["state"] = Name(hold.State),
        ["holders"] = new JsonArray([.. hold.Others.Select(ReservationCommands.Json)]),
    };

    /// <summary>A file name as it can be printed on one line (git allows newlines and control characters in names).</summary>
    private static string Quote(string path)
        => path.Any(char.IsControl) ? string.Concat(path.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString())) : path;
}
