using System.Text.Json;
using AgentLocks;

namespace AgentLocks.Tests.Ids;

public sealed class TypedIdTests
{
    [Theory]
    [InlineData("agent-a")]
    [InlineData("auth-refactorer")]
    [InlineData("a1b")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijk")]
    public void AgentId_accepts_beadboard_ids(string text)
        => Assert.Equal(text, AgentId.Parse(text).Value);

    [Theory]
    [InlineData("ab", "3 to 48")]
    [InlineData("Agent-A", "lowercase")]
    [InlineData("agent--a", "lowercase")]
    [InlineData("-agent", "lowercase")]
    [InlineData("agent-", "lowercase")]
    [InlineData("agent_a", "lowercase")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijkl", "3 to 48")]
    public void AgentId_rejects_with_the_rule_it_broke(string text, string rule)
    {
        var error = Assert.Throws<FormatException>(() => AgentId.Parse(text));
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
        Assert.False(AgentId.TryParse(text, out _));
    }

    [Theory]
    [InlineData("$3", TmuxTargetKind.SessionId)]
    [InlineData("%12", TmuxTargetKind.PaneId)]
    [InlineData("@2", TmuxTargetKind.WindowId)]
    [InlineData("gt-polecat-1", TmuxTargetKind.SessionName)]
    [InlineData("%pane-like-name", TmuxTargetKind.SessionName)]
    public void SessionId_tells_panes_from_sessions(string text, TmuxTargetKind kind)
        => Assert.Equal(kind, SessionId.Parse(text).Kind);

    [Theory]
    [InlineData("")]
    [InlineData("a\nb")]
    [InlineData(" padded")]
    [InlineData("tab\there")]
    public void SessionId_rejects_invalid(string text)
        => Assert.False(SessionId.TryParse(text, out _));

    [Fact]
    public void New_reservation_ids_keep_beadboards_shape_and_carry_96_random_bits()
    {
        var now = new DateTimeOffset(2026, 11, 23, 18, 53, 27, 347, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 1000).Select(_ => ReservationId.New(now).Value).ToHashSet();
        Assert.Equal(1000, ids.Count);
        var sample = ids.First();
        Assert.StartsWith("res_20261123_185327.347Z_", sample, StringComparison.Ordinal);
        Assert.Equal(24, sample["res_20261123_185327.347Z_".Length..].Length);
        Assert.True(ReservationId.TryParse("res_20261123_185327.347Z_4ba5", out _));
    }

    [Fact]
    public void Ids_round_trip_through_json_also_as_dictionary_keys()
    {
        var map = new Dictionary<AgentId, BeadId> { [AgentId.Parse("agent-a")] = BeadId.Parse("bb-101") };
        var json = JsonSerializer.Serialize(map);
        Assert.Equal("""{"agent-a":"bb-101"}""", json);
        var back = JsonSerializer.Deserialize<Dictionary<AgentId, BeadId>>(json)!;
        Assert.Equal(BeadId.Parse("bb-101"), back[AgentId.Parse("agent-a")]);
    }

    [Fact]
    public void Invalid_ids_in_json_name_the_rule()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<AgentId>("\"Bad Agent\""));
        Assert.Contains("agent id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fencing_tokens_are_positive_and_ordered()
    {
        var one = new FencingToken(1);
        Assert.True(one.Next() > one);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FencingToken(0));
        Assert.Equal("7", JsonSerializer.Serialize(new FencingToken(7)));
    }

    [Fact]
    public void Ids_are_span_parsable()
    {
        static T ParseGeneric<T>(string text) where T : ISpanParsable<T> => T.Parse(text.AsSpan(), null);
        Assert.Equal(WorkerId.Parse("polecat-1"), ParseGeneric<WorkerId>("polecat-1"));
        Assert.Equal(BeadId.Parse("bd-42"), ParseGeneric<BeadId>("bd-42"));
    }

    [Theory]
    [InlineData("worker", "", "worker id", "1 to 64")]
    [InlineData("worker", "-polecat", "worker id", "start with a letter or digit")]
    [InlineData("worker", "pole cat", "worker id", "only letters, digits")]
    [InlineData("bead", " bd-42", "bead id", "white space")]
    [InlineData("session", "sess\t0", "session id", "control characters")]
    [InlineData("session", "trailing ", "session id", "white space")]
    [InlineData("reservation", "res/1", "reservation id", "only letters, digits")]
    public void Every_id_rejects_with_its_kind_and_the_rule_it_broke(string kind, string text, string kindName, string rule)
    {
        Action parse = kind switch
        {
            "worker" => () => WorkerId.Parse(text),
            "bead" => () => BeadId.Parse(text),
            "session" => () => SessionId.Parse(text),
            _ => () => ReservationId.Parse(text),
        };
        var error = Assert.Throws<FormatException>(parse);
        Assert.Contains(kindName, error.Message, StringComparison.Ordinal);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_id_is_equal_by_value_and_prints_its_text()
    {
        Assert.Equal(SessionId.Parse("%12"), SessionId.Parse("%12"));
        Assert.NotEqual(SessionId.Parse("%12"), SessionId.Parse("$12"));
        Assert.True(WorkerId.Parse("polecat-1") == WorkerId.Parse("polecat-1"));
        Assert.Equal("gt-polecat-1", SessionId.Parse("gt-polecat-1").ToString());
        Assert.Equal("""["%12","$3"]""", JsonSerializer.Serialize(new[] { SessionId.Parse("%12"), SessionId.Parse("$3") }));
    }
}
