using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace AgentLocks.Tests.Reservations;

/// <summary>The file store on files exactly as beadboard writes them, and what it writes back.</summary>
public sealed class FileStoreFormatTests : IDisposable
{
    private static readonly AgentId AgentA = AgentId.Parse("agent-a");
    private static readonly AgentId AgentB = AgentId.Parse("agent-b");

    // The fixture was written at 18:53; agent-a's reservation runs until 19:23:27.347Z.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 19, 0, 0, TimeSpan.Zero));
    private readonly TempRoot _root = TempRoot.WithBeadboardFixture();

    /// <summary>A whole reservation's fields; a case adds one again, and the later value is the one read.</summary>
    private const string Fields = "\"reservation_id\": \"res_1\", \"scope\": \"/repo/x\", \"agent_id\": \"agent-a\", \"bead_id\": \"bb-1\", \"state\": \"active\", \"created_at\": \"2026-11-23T18:53:27.347Z\", \"expires_at\": \"2026-11-23T19:53:27.347Z\", \"released_at\": null";

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Status_reads_beadboards_files_and_counts_its_history()
    {
        var store = Store();
        var status = await store.GetStatusAsync();

        var held = Assert.Single(status.Reservations);
        Assert.Equal("res_20261123_185327.347Z_4ba5", held.Id.Value);
        Assert.Equal("/repo/src/auth", held.Scope.Value);
        Assert.Equal(AgentA, held.AgentId);
        Assert.Equal(ReservationMode.Exclusive, held.Mode);
        Assert.Null(held.FencingToken);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 19, 23, 27, 347, TimeSpan.Zero), held.ExpiresAt);

        var message = Assert.Single(status.UnackedRequiredMessages);
        Assert.Equal("msg_20261123_185400_9c1e", message.MessageId);

        // beadboard reports released: 0 here; its history holds one released and one expired reservation.
        Assert.Equal(new StatusSummary(1, 1, 1, 1), status.Summary);
    }

    [Fact]
    public async Task Status_filters_messages_by_recipient_and_bead()
    {
        var store = Store();
        Assert.Single((await store.GetStatusAsync(new StatusQuery { Agent = AgentA })).UnackedRequiredMessages);
        Assert.Empty((await store.GetStatusAsync(new StatusQuery { Agent = AgentB })).UnackedRequiredMessages);
        Assert.Empty((await store.GetStatusAsync(new StatusQuery { Bead = BeadId.Parse("bb-102") })).UnackedRequiredMessages);
    }

    [Fact]
    public async Task A_scope_below_beadboards_reservation_conflicts()
    {
        var store = Store();
        var result = await store.TryReserveAsync(new ReservationRequest(AgentB, ScopePattern.Parse("/repo/src/auth/login.ts"), BeadId.Parse("bb-102")));
        await using var unexpected = result.Handle; // released if the store wrongly granted it
        Assert.Equal(ErrorCode.ReservationConflict, result.Error?.Code);
    }

    [Fact]
    public async Task Writes_keep_beadboards_shape_and_history_lines()
    {
        var historyBefore = await File.ReadAllTextAsync(_root.File("reservations", "history.jsonl"));
        var store = Store();
        var released = await store.ReleaseAsync(AgentA, ScopePattern.Parse("/repo/src/auth"));
        Assert.Equal(ReservationState.Released, released.State);

        using var active = JsonDocument.Parse(await File.ReadAllTextAsync(_root.File("reservations", "active.json")));
        Assert.Equal(0, active.RootElement.GetProperty("reservations").GetArrayLength());

        var history = await File.ReadAllTextAsync(_root.File("reservations", "history.jsonl"));
        Assert.StartsWith(historyBefore, history, StringComparison.Ordinal);
        var line = JsonDocument.Parse(history[historyBefore.Length..].TrimEnd('\n')).RootElement;
        Assert.Equal("res_20261123_185327.347Z_4ba5", line.GetProperty("reservation_id").GetString());
        Assert.Equal("released", line.GetProperty("state").GetString());
        Assert.Equal("2026-11-23T19:00:00.000Z", line.GetProperty("released_at").GetString());
        Assert.Equal("2026-11-23T19:23:27.347Z", line.GetProperty("expires_at").GetString());
        Assert.Equal("released", line.GetProperty("event").GetString());
    }

    [Fact]
    public async Task A_grant_is_written_with_beadboards_fields_and_ours()
    {
        var store = Store();
        await using var held = await store.ReserveAsync(new ReservationRequest(AgentB, ScopePattern.Parse("/repo/docs"), BeadId.Parse("bb-103"), TimeSpan.FromMinutes(30)));

        var text = await File.ReadAllTextAsync(_root.File("reservations", "active.json"));
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        using var active = JsonDocument.Parse(text);
        var written = active.RootElement.GetProperty("reservations")[1];
        string[] beadboardFields = ["reservation_id", "scope", "agent_id", "bead_id", "state", "created_at", "expires_at", "released_at"];
        Assert.Equal([.. beadboardFields, "mode", "fencing_token"], written.EnumerateObject().Select(p => p.Name));
        Assert.Equal("active", written.GetProperty("state").GetString());
        Assert.Equal("exclusive", written.GetProperty("mode").GetString());
        Assert.Equal("2026-11-23T19:30:00.000Z", written.GetProperty("expires_at").GetString());
        Assert.Equal(JsonValueKind.Null, written.GetProperty("released_at").ValueKind);
        Assert.Equal(held.FencingToken.Value, written.GetProperty("fencing_token").GetInt64());

        // beadboard's own reservation is written back unchanged in its fields.
        var first = active.RootElement.GetProperty("reservations")[0];
        Assert.Equal("2026-11-23T18:53:27.347Z", first.GetProperty("created_at").GetString());
        Assert.Empty(Directory.EnumerateFiles(_root.File("reservations"), "*.tmp-*"));
    }

    [Fact]
    public async Task History_records_every_transition_with_the_new_owner_of_a_takeover()
    {
        var store = Store();
        await store.RegisterAgentAsync(AgentId.Parse("agent-c"));
        var scope = ScopePattern.Parse("/repo/lib");
        await using var old = await store.ReserveAsync(new ReservationRequest(AgentB, scope, BeadId.Parse("bb-104"), TimeSpan.FromMinutes(5)));
        await old.RenewAsync();
        _time.Advance(TimeSpan.FromMinutes(6));
        await using var taken = await store.ReserveAsync(new ReservationRequest(AgentId.Parse("agent-c"), scope, BeadId.Parse("bb-104")) { TakeoverStale = true });
        var takenId = taken.Reservation.Id;
        await taken.DisposeAsync();
        await old.DisposeAsync();
        _time.Advance(TimeSpan.FromHours(1));
        await store.GetStatusAsync(); // sweeps beadboard's agent-a reservation

        var lines = (await File.ReadAllLinesAsync(_root.File("reservations", "history.jsonl"))).Skip(2).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["reserved", "renewed", "taken_over", "reserved", "released", "expired"], lines.Select(l => l.GetProperty("event").GetString()));
        Assert.Equal("agent-a", lines[5].GetProperty("agent_id").GetString());
        Assert.Equal("expired", lines[5].GetProperty("state").GetString());
        var takeover = lines[2];
        Assert.Equal("agent-b", takeover.GetProperty("agent_id").GetString());
        Assert.Equal("expired", takeover.GetProperty("state").GetString());
        Assert.Equal("agent-c", takeover.GetProperty("taken_over_by").GetString());
        Assert.Equal(takenId.Value, takeover.GetProperty("successor_reservation_id").GetString());
    }

    [Fact]
    public async Task An_unknown_owner_is_not_dispossessed_silently()
    {
        File.Delete(_root.File("agents", "agent-a.json"));
        var store = Store();
        await store.RegisterAgentAsync(AgentId.Parse("agent-c"));
        var request = new ReservationRequest(AgentId.Parse("agent-c"), ScopePattern.Parse("/repo/src/auth"), BeadId.Parse("bb-101"));

        Assert.Equal(ErrorCode.ReservationConflict, (await store.TryReserveAsync(request)).Error?.Code);
        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(ErrorCode.ReservationStaleFound, (await store.TryReserveAsync(request)).Error?.Code);
        await using var taken = await store.ReserveAsync(request with { TakeoverStale = true });
        Assert.Equal(AgentId.Parse("agent-c"), taken.Reservation.AgentId);
    }

    [Fact]
    public async Task Register_writes_an_agent_record_in_beadboards_shape()
    {
        var store = Store();
        var record = await store.RegisterAgentAsync(AgentId.Parse("agent-c"), new AgentRegistration("backend", "Agent C"));
        using var written = JsonDocument.Parse(await File.ReadAllTextAsync(_root.File("agents", "agent-c.json")));
        Assert.Equal(["agent_id", "display_name", "role", "status", "created_at", "last_seen_at", "version"], written.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("backend", written.RootElement.GetProperty("role").GetString());
        Assert.Equal(record.CreatedAt, DateTimeOffset.Parse(written.RootElement.GetProperty("created_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture));

        var again = await store.RegisterAgentAsync(AgentA);
        Assert.Equal("ui", again.Role);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 18, 50, 0, TimeSpan.Zero), again.CreatedAt);
    }

    [Fact]
    public async Task Fencing_tokens_keep_growing_across_restarts_and_beadboard_rewrites()
    {
        var first = await GrantAndReleaseAsync(Store());
        var second = await GrantAndReleaseAsync(Store());
        Assert.True(second > first);

        // beadboard rewrites active.json as {"reservations": [...]} and drops our last-token field.
        await File.WriteAllTextAsync(_root.File("reservations", "active.json"), "{\n  \"reservations\": []\n}\n");
        var third = await GrantAndReleaseAsync(Store());
        Assert.True(third > second);
    }

    [Theory]
    [InlineData("{\"reservations\": [ {\"reservation_id\": ")]
    [InlineData("")]
    [InlineData("{\"reservations\": [ {\"reservation_id\": \"res_1\"} ]}")]
    [InlineData("{\"reservations\": [ null ]}")]
    [InlineData("{\"reservations\": [ {\"reservation_id\": \"res_1\", \"scope\": \"../etc\", \"agent_id\": \"agent-a\", \"bead_id\": \"bb-1\", \"state\": \"active\", \"created_at\": \"2026-11-23T18:53:27.347Z\", \"expires_at\": \"2026-11-23T19:53:27.347Z\", \"released_at\": null} ]}")]
    [InlineData("{\"reservations\": [ {\"reservation_id\": \"res_1\", \"scope\": \"src\", \"agent_id\": \"agent-a\", \"bead_id\": \"bb-1\", \"state\": \"active\", \"created_at\": \"yesterday\", \"expires_at\": \"2026-11-23T19:53:27.347Z\", \"released_at\": null} ]}")]
    [InlineData("{\"reservations\": [ {\"reservation_id\": \"res_1\", \"scope\": \"src\", \"agent_id\": \"agent-a\", \"bead_id\": \"bb-1\", \"state\": \"active\", \"created_at\": \"2026-11-23\", \"expires_at\": \"2026-11-23T19:53:27.347Z\", \"released_at\": null} ]}")]
    [InlineData("{\"reservations\": [ {" + Fields + ", \"fencing_token\": \"7\"} ]}")]
    [InlineData("{\"reservations\": [ {" + Fields + ", \"fencing_token\": 0} ]}")]
    [InlineData("{\"reservations\": [ {" + Fields + ", \"mode\": \"both\"} ]}")]
    [InlineData("{\"reservations\": [ {" + Fields + ", \"state\": 1} ]}")]
    [InlineData("{\"reservations\": [ {" + Fields + ", \"expires_at\": 5} ]}")]
    [InlineData("{\"reservations\": [ {" + Fields + ", \"agent_id\": null} ]}")]
    [InlineData("{\"reservations\": {}}")]
    [InlineData("{\"reservations\": []} x")]
    [InlineData("{\"reservations\": [], \"agentlocks_last_fencing_token\": \"9\"}")]
    public async Task A_damaged_active_file_is_store_corrupt_and_left_as_it_is(string content)
    {
        var path = _root.File("reservations", "active.json");
        await File.WriteAllTextAsync(path, content);
        var history = await File.ReadAllBytesAsync(_root.File("reservations", "history.jsonl"));
        var store = Store();

        var reserve = await Assert.ThrowsAsync<AgentLocksException>(() => store.ReserveAsync(new ReservationRequest(AgentB, ScopePattern.Parse("/repo/x"), BeadId.Parse("bb-1"))));
        Assert.Equal(ErrorCode.StoreCorrupt, reserve.Code);
        var status = await Assert.ThrowsAsync<AgentLocksException>(() => store.GetStatusAsync());
        Assert.Equal(ErrorCode.StoreCorrupt, status.Code);

        Assert.Equal(content, await File.ReadAllTextAsync(path));
        Assert.Equal(history, await File.ReadAllBytesAsync(_root.File("reservations", "history.jsonl")));
        Assert.False(File.Exists(_root.File("reservations", ".lock")));
    }

    [Fact]
    public async Task An_active_file_in_other_hands_forms_is_read()
    {
        // A byte order mark, the bare list of early beadboard, enum values in capitals, fields we do not know.
        await File.WriteAllTextAsync(_root.File("reservations", "active.json"), "\uFEFF[ {" + Fields + ", \"state\": \"ACTIVE\", \"mode\": \"Shared\", \"fencing_token\": 7, \"note\": {\"x\": [1]}} ]", new System.Text.UTF8Encoding(false));

        var held = Assert.Single((await Store().GetStatusAsync()).Reservations);
        Assert.Equal(ReservationState.Active, held.State);
        Assert.Equal(ReservationMode.Shared, held.Mode);
        Assert.Equal(7, held.FencingToken?.Value);
        Assert.Equal(ScopePattern.Parse("/repo/x"), held.Scope);
    }

    [Fact]
    public async Task A_damaged_history_line_stops_the_status_sweep()
    {
        var historyPath = _root.File("reservations", "history.jsonl");
        await File.AppendAllTextAsync(historyPath, "not json\n");
        var active = await File.ReadAllBytesAsync(_root.File("reservations", "active.json"));
        _time.Advance(TimeSpan.FromHours(1)); // agent-a's reservation is due for the sweep

        var status = await Assert.ThrowsAsync<AgentLocksException>(() => Store().GetStatusAsync());
        Assert.Equal(ErrorCode.StoreCorrupt, status.Code);
        Assert.Contains("line 3", status.Message, StringComparison.Ordinal);
        Assert.Equal(active, await File.ReadAllBytesAsync(_root.File("reservations", "active.json")));
    }

    [Fact]
    public async Task A_history_cut_off_mid_line_is_not_appended_to()
    {
        var historyPath = _root.File("reservations", "history.jsonl");
        await File.AppendAllTextAsync(historyPath, "{\"reservation_id\":\"res_");
        var before = await File.ReadAllBytesAsync(historyPath);

        var release = await Assert.ThrowsAsync<AgentLocksException>(() => Store().ReleaseAsync(AgentA, ScopePattern.Parse("/repo/src/auth")));
        Assert.Equal(ErrorCode.StoreCorrupt, release.Code);
        Assert.Equal(before, await File.ReadAllBytesAsync(historyPath));
    }

    [Theory]
    [InlineData("not json\n")]
    [InlineData("{\"reservation_id\":\"res_1\"}\n")]
    public async Task Garbage_at_the_end_of_the_history_stops_every_write(string garbage)
    {
        var historyPath = _root.File("reservations", "history.jsonl");
        await File.AppendAllTextAsync(historyPath, garbage);
        var history = await File.ReadAllBytesAsync(historyPath);
        var active = await File.ReadAllBytesAsync(_root.File("reservations", "active.json"));

        // Damage is not a refusal to return: even TryReserveAsync throws it.
        var reserve = await Assert.ThrowsAsync<AgentLocksException>(() => Store().TryReserveAsync(new ReservationRequest(AgentB, ScopePattern.Parse("/repo/lib"), BeadId.Parse("bb-1"))));
        Assert.Equal(ErrorCode.StoreCorrupt, reserve.Code);
        Assert.Contains("last line", reserve.Message, StringComparison.Ordinal);
        var release = await Assert.ThrowsAsync<AgentLocksException>(() => Store().ReleaseAsync(AgentA, ScopePattern.Parse("/repo/src/auth")));
        Assert.Equal(ErrorCode.StoreCorrupt, release.Code);

        Assert.Equal(history, await File.ReadAllBytesAsync(historyPath));
        Assert.Equal(active, await File.ReadAllBytesAsync(_root.File("reservations", "active.json")));
    }

    [Fact]
    public async Task Blank_lines_at_the_end_of_the_history_are_not_damage()
    {
        var historyPath = _root.File("reservations", "history.jsonl");
        await File.AppendAllTextAsync(historyPath, "\n\n");
        await using var held = await Store().ReserveAsync(new ReservationRequest(AgentB, ScopePattern.Parse("/repo/lib"), BeadId.Parse("bb-1")));
        Assert.Equal(new StatusSummary(2, 1, 1, 1), (await Store().GetStatusAsync()).Summary);
    }

    [Fact]
    public async Task A_damaged_agent_record_is_not_overwritten()
    {
        var path = _root.File("agents", "agent-a.json");
        await File.WriteAllTextAsync(path, "{ broken");
        var error = await Assert.ThrowsAsync<AgentLocksException>(() => Store().RegisterAgentAsync(AgentA));
        Assert.Equal(ErrorCode.StoreCorrupt, error.Code);
        Assert.Equal("{ broken", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task Expiry_is_compared_as_instants_not_strings()
    {
        // beadboard compared "2026-11-23T20:20:00+01:00" and "...19:30Z" as text; as instants it expired at 19:20Z.
        var path = _root.File("reservations", "active.json");
        var text = (await File.ReadAllTextAsync(path)).Replace("2026-11-23T19:23:27.347Z", "2026-11-23T20:20:00+01:00", StringComparison.Ordinal);
        await File.WriteAllTextAsync(path, text);
        _time.Advance(TimeSpan.FromMinutes(30));

        var status = await Store().GetStatusAsync();
        Assert.Empty(status.Reservations);
        Assert.Equal(2, status.Summary.Expired);
    }

    private FileReservationStore Store() => new(_root.Path, new ReservationStoreOptions { TimeProvider = _time });

    private async Task<long> GrantAndReleaseAsync(FileReservationStore store)
    {
        await using var held = await store.ReserveAsync(new ReservationRequest(AgentB, ScopePattern.Parse("/repo/tokens"), BeadId.Parse("bb-9")));
        return held.FencingToken.Value;
    }
}
