namespace AgentLocks.Tests.Reservations;

/// <summary>The one list of reservation mode and state names that the JSON, PostgreSQL and CLI formats share.</summary>
public sealed class ReservationWireNamesTests
{
    [Fact]
    public void EveryModeHasItsBeadboardNameAndReadsBackInAnyCase()
    {
        Assert.Equal(["exclusive", "shared"], Enum.GetValues<ReservationMode>().Select(m => m.ToWireName()));
        foreach (var mode in Enum.GetValues<ReservationMode>())
        {
            Assert.Equal(mode, ReservationWireNames.ParseMode(mode.ToWireName().ToUpperInvariant()));
        }
    }

    [Fact]
    public void EveryStateHasItsBeadboardNameAndReadsBackInAnyCase()
    {
        Assert.Equal(["active", "released", "expired"], Enum.GetValues<ReservationState>().Select(s => s.ToWireName()));
        foreach (var state in Enum.GetValues<ReservationState>())
        {
            Assert.Equal(state, ReservationWireNames.ParseState(state.ToWireName().ToUpperInvariant()));
        }
    }

    [Fact]
    public void AnUnknownNameIsRefusedWithTheNamesThatExist()
    {
        var error = Assert.Throws<FormatException>(() => ReservationWireNames.ParseState("gone"));
        Assert.Contains("active, released, expired", error.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => ReservationWireNames.ParseMode(""));
    }
}
