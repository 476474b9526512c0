using System.Globalization;

namespace AgentSwarm.Swarm;

/// <summary>The command line of the sample, for both roles (the orchestrator and an agent).</summary>
internal sealed record SwarmOptions
{
    public const int MaxAgents = 8;

    private const int PostgresLeaseSeconds = 60;

    public int Agents { get; init; } = 6;

    public int Rounds { get; init; } = 10;

    /// <summary>
    /// The lease of every reservation: short, so a killed agent's scopes come back within the run. On PostgreSQL it is
    /// always 60: leases run on the server's clock, which the sample cannot speed up, and the shortest TTL is a minute.
    /// </summary>
    public int LeaseSeconds { get; init; } = 4;

    public bool Kill { get; init; } = true;

    public string? Postgres { get; init; }

    /// <summary>The PostgreSQL schema of this run (one schema is one swarm), named after the run's epoch.</summary>
    public string PostgresSchema => string.Create(CultureInfo.InvariantCulture, $"agentswarm_{EpochMs}");

    /// <summary>Where the run's repository, store and logs go; default a fresh temporary directory.</summary>
    public string? RunDirectory { get; init; }

    public bool Keep { get; init; }

    /// <summary>The start of the run's accelerated clock (Unix milliseconds), the same for every process of the run.</summary>
    public long EpochMs { get; init; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Agent role only: which agent class this process runs.</summary>
    public string? Role { get; init; }

    public static string Usage =>
        "usage: AgentSwarm [--agents N (1-8, default 6)] [--rounds N] [--lease-seconds S (default 4; 60 on PostgreSQL)] [--no-kill] [--postgres CONN] [--dir DIR] [--keep]";

    public static SwarmOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SwarmOptions();
        var leaseGiven = args.Contains("--lease-seconds");
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--agents" => options with { Agents = Number(Value(), 1, MaxAgents, "--agents") },
                "--rounds" => options with { Rounds = Number(Value(), 1, 10_000, "--rounds") },
                "--lease-seconds" => options with { LeaseSeconds = Number(Value(), 1, 3600, "--lease-seconds") },
                "--no-kill" => options with { Kill = false },
                "--keep" => options with { Keep = true },
                "--postgres" => options with { Postgres = Value() },
                "--dir" => options with { RunDirectory = Value() },
                "--role" => options with { Role = Value() },
                "--epoch-ms" => options with { EpochMs = long.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture) },
                var other => throw new ArgumentException($"Unknown argument '{other}'."),
            };
        }

        if (options.Postgres is not null)
        {
            options = leaseGiven && options.LeaseSeconds != PostgresLeaseSeconds
                ? throw new ArgumentException($"--lease-seconds is {PostgresLeaseSeconds} on PostgreSQL: leases run on the server's clock, and the shortest is a minute.")
                : options with { LeaseSeconds = PostgresLeaseSeconds };
        }

        return options;
    }

    /// <summary>The arguments that start one agent process of this run.</summary>
    public IEnumerable<string> AgentArguments(string role, string runDirectory)
    {
        yield return "agent";
        yield return "--role";
        yield return role;
        yield return "--dir";
        yield return runDirectory;
        yield return "--rounds";
        yield return Rounds.ToString(CultureInfo.InvariantCulture);
        yield return "--lease-seconds";
        yield return LeaseSeconds.ToString(CultureInfo.InvariantCulture);
        yield return "--epoch-ms";
        yield return EpochMs.ToString(CultureInfo.InvariantCulture);
        if (Postgres is not null)
        {
            yield return "--postgres";
            yield return Postgres;
        }
    }

    private static int Number(string text, int min, int max, string name)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}, not '{text}'.");
}
