using System.Text.Json;
using Npgsql;

namespace AgentLocks.Cli.Tests;

/// <summary>
/// <c>agentlocks doctor</c> is one command over either backend: the same findings for the same state, and
/// <c>--fix</c> sweeps expired reservations through the store itself, so the holder gets its notice on both. The
/// PostgreSQL runs use the server of <c>AGENTLOCKS_TEST_POSTGRES</c> (<c>source .ci/postgres.sh</c>), a fresh schema each.
/// </summary>
public sealed class DoctorOnEveryBackendTests : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("agentlocks-doctor-backends-").FullName;
    private readonly string _schema = "t_" + Guid.NewGuid().ToString("N")[..16];

    public async ValueTask DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        if (Environment.GetEnvironmentVariable("AGENTLOCKS_TEST_POSTGRES") is { Length: > 0 })
        {
            await SqlAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
        }
    }

    [Theory]
    [InlineData("files")]
    [InlineData("postgres")]
    public async Task An_expired_reservation_is_reported_alike_and_fix_sweeps_it_through_the_store_with_a_notice(string backend)
    {
        string[] store = backend == "files" ? ["--root", _root] : ["--root", _root, "--postgres", $"{Server()};Search Path={_schema}"];
        Ok(await RunAsync(store, "agent", "register", "--agent", "agent-gone"));
        Ok(await RunAsync(store, "agent", "register", "--agent", "agent-live"));
        var gone = Ok(await RunAsync(store, "reserve", "--agent", "agent-gone", "--scope", "src/auth/**", "--bead", "bd-1", "--ttl", "5")).GetProperty("reservation_id").GetString()!;
        var live = Ok(await RunAsync(store, "reserve", "--agent", "agent-live", "--scope", "docs/**", "--bead", "bd-2")).GetProperty("reservation_id").GetString()!;
        await LapseAsync(backend, gone);

        var found = Single(Ok(await RunAsync(store, "doctor")), "expired-reservation");
        Assert.StartsWith("src/auth/** by agent-gone for bd-1 expired at ", found.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, found.GetProperty("action").ValueKind);
        Assert.Equal(backend == "files" ? Path.Combine(_root, "reservations", "active.json") : $"{_schema}.reservations/{gone}", found.GetProperty("path").GetString());
        Assert.Equal(found.ToString(), Single(Ok(await RunAsync(store, "doctor")), "expired-reservation").ToString()); // without --fix it changed nothing

        var swept = Single(Ok(await RunAsync(store, "doctor", "--fix")), "expired-reservation");
        Assert.Equal("swept into the history as expired", swept.GetProperty("action").GetString());
        Assert.Equal(found.GetProperty("path").GetString(), swept.GetProperty("path").GetString());

        // The store's own sweep: gone from the active set, counted as expired, its holder noticed; the live one stays.
        var holder = Ok(await RunAsync(store, "status", "--agent", "agent-gone"));
        Assert.Empty(holder.GetProperty("reservations").EnumerateArray());
        Assert.Equal(1, holder.GetProperty("summary").GetProperty("expired").GetInt32());
        Assert.Contains("expired", Assert.Single(holder.GetProperty("unacked_required_messages").EnumerateArray()).GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.Equal(live, Assert.Single(Ok(await RunAsync(store, "status")).GetProperty("reservations").EnumerateArray()).GetProperty("reservation_id").GetString());
        Assert.True(Ok(await RunAsync(store, "doctor")).GetProperty("healthy").GetBoolean());
    }

    /// <summary>Moves the reservation's lease three hours into the past, as if its holder crashed then.</summary>
    private async Task LapseAsync(string backend, string reservationId)
    {
        if (backend == "postgres")
        {
            await SqlAsync($"UPDATE \"{_schema}\".reservations SET created_at = created_at - interval '3 hours', expires_at = expires_at - interval '3 hours' WHERE reservation_id = $1", reservationId);
            return;
        }

        // beadboard's active.json, edited as a person would; its timestamps are RFC 3339 UTC.
        var active = Path.Combine(_root, "reservations", "active.json");
        var document = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(active))!;
        var reservation = document["reservations"]!.AsArray().Single(r => r!["reservation_id"]!.GetValue<string>() == reservationId)!;
        foreach (var field in new[] { "created_at", "expires_at" })
        {
            var moved = DateTimeOffset.Parse(reservation[field]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).AddHours(-3);
            reservation[field] = moved.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        await File.WriteAllTextAsync(active, document.ToJsonString());
    }

    private static string Server()
        => Environment.GetEnvironmentVariable("AGENTLOCKS_TEST_POSTGRES") is { Length: > 0 } connection
            ? connection
            : throw new InvalidOperationException("AGENTLOCKS_TEST_POSTGRES is not set. Start a throwaway server with `source .ci/postgres.sh` (it exports the variable), then run these tests again.");

    private static async Task SqlAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(Server() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }

    private static Task<CliResult> RunAsync(string[] store, params string[] args) => CliRunner.RunAsync(["--json", .. store, .. args]);

    private static JsonElement Ok(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        return result.Envelope.GetProperty("data");
    }

    private static JsonElement Single(JsonElement data, string kind)
        => Assert.Single(data.GetProperty("findings").EnumerateArray(), f => f.GetProperty("kind").GetString() == kind);
}
