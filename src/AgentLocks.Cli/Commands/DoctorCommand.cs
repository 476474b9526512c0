using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AgentLocks.Postgres;

namespace AgentLocks.Cli.Commands;

/// <summary>
/// <c>doctor [--fix] [--under DIR|PREFIX] [--tmux-socket NAME[,NAME...]]</c>: finds what crashes and other tools
/// leave behind, and with <c>--fix</c> repairs what is safe, on either backend. It decides nothing itself: the
/// identity-lock and store code judge (stale, held, damaged, expired); the doctor collects their verdicts and acts on
/// them. One run: the backend's own checks (<see cref="StoreDoctor"/>: the file store's mutex and damaged files, the
/// PostgreSQL schema), the identity locks, then the expired reservations, listed and with <c>--fix</c> swept by the
/// store in one decision. Damaged files are moved aside, never deleted. What it could not check is said, not
/// silently skipped.
/// </summary>
internal static class DoctorCommand
{
    public static CommandSpec[] All { get; } =
    [
        new(["doctor"], "doctor", "doctor [--fix] [--under DIR|PREFIX] [--tmux-socket NAME[,NAME...]]", ["under", "tmux-socket"], ["fix"], RunAsync),
    ];

    private static async Task<CommandResult> RunAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var report = new Report(context.Flag("fix"));

        // No repository root: the doctor compares no scopes, and its sweep must not record a root for the store.
        var store = Backends.OpenReservationStore(context, RepositoryRoot.None);
        StoreDoctor backend = store switch
        {
            FileReservationStore file => new FileStoreDoctor(file, context),
            PostgresReservationStore postgres => await PostgresStoreDoctor.OpenAsync(postgres, context, cancellationToken).ConfigureAwait(false),
            _ => throw new InvalidOperationException($"doctor knows no checks for {store.GetType().Name}."),
        };

        var readable = await backend.CheckStoreAsync(report, cancellationToken).ConfigureAwait(false);
        await backend.CheckIdentityLocksAsync(report, readable, cancellationToken).ConfigureAwait(false);
        if (readable)
        {
            foreach (var expired in await backend.Store.ExpiredAsync(sweep: report.Fix, cancellationToken).ConfigureAwait(false))
            {
                report.AddExpired(backend.PathOf(expired), expired);
            }
        }

        return new CommandResult(report.ToJson(backend.Where), Human(report, backend.LookedAt));
    }

    /// <summary>The human answer: what it looked at, what it could not, and the findings as a table.</summary>
    private static string Human(Report report, string lookedAt)
    {
        var text = new StringBuilder(lookedAt).AppendLine();
        foreach (var skipped in report.NotChecked)
        {
            text.Append("not checked: ").AppendLine(skipped);
        }

        if (report.Findings.Count == 0)
        {
            return text.Append("healthy: nothing to repair").ToString();
        }

        var rows = report.Findings.Select(f => (IReadOnlyList<Cell>)[f.Kind, f.Path, f.Detail, f.Action ?? f.Repair]).ToList();
        text.Append(TextTable.Render(["problem", "path", "detail", report.Fix ? "done" : "repair"], rows, TextTable.UseColor)).AppendLine();

        return text.Append(CultureInfo.InvariantCulture, $"{report.Findings.Count} problem(s){(report.Fix ? "; repaired what is safe to repair" : "")}").ToString();
    }

    /// <summary>What the doctor found, and what it could not check.</summary>
    internal sealed class Report(bool fix)
    {
        public bool Fix { get; } = fix;

        public List<Finding> Findings { get; } = [];

        public List<string> NotChecked { get; } = [];

        /// <summary>
        /// Adds a finding; <paramref name="actionWhenFixing"/> is what <c>--fix</c> did, and is dropped without it;
        /// <paramref name="repair"/> says how it is repaired.
        /// </summary>
        public void Add(string kind, string path, string detail, string? actionWhenFixing, string repair = "run doctor --fix")
            => Findings.Add(new Finding(kind, path, detail, Fix ? actionWhenFixing : null, repair));

        /// <summary>An expired reservation at <paramref name="path"/>, which <c>--fix</c> sweeps into the history.</summary>
        public void AddExpired(string path, Reservation r)
            => Add("expired-reservation", path,
                $"{r.Scope} by {r.AgentId} for {r.BeadId} expired at {r.ExpiresAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}",
                "swept into the history as expired");

        /// <summary>The envelope's <c>data</c>: <paramref name="where"/> (what was looked at), then the verdict and the findings.</summary>
        public JsonObject ToJson(JsonObject where)
        {
            where["fix"] = Fix;
            where["healthy"] = Findings.Count == 0;
            where["findings"] = new JsonArray([.. Findings.Select(f => (JsonNode)f.ToJson())]);
            where["not_checked"] = new JsonArray([.. NotChecked.Select(n => (JsonNode?)JsonValue.Create(n))]);
            return where;
        }
    }

    /// <summary>One problem: what, where, why, what <c>--fix</c> did (null without <c>--fix</c>), and how it is repaired.</summary>
    internal sealed record Finding(string Kind, string Path, string Detail, string? Action, string Repair)
    {
        public JsonObject ToJson() => new()
        {
            ["kind"] = Kind,
            ["path"] = Path,
            ["detail"] = Detail,
            ["action"] = Action,
            ["repair"] = Repair,
        };
    }
}
