using AgentLocks.Postgres;

namespace AgentLocks.Postgres.Tests;

/// <summary>The schema's CHECK constraints accept exactly the names the store writes (no server needed).</summary>
public sealed class WireNameTests
{
    [Theory]
    [InlineData("mode")]
    [InlineData("state")]
    public void TheReservationsTableChecksTheSharedWireNames(string column)
    {
        var names = column == "mode" ? ReservationWireNames.Modes : ReservationWireNames.States;
        var check = $"CHECK ({column} IN ({string.Join(", ", names.Select(n => $"'{n}'"))}))";
        Assert.Contains(check, PostgresSchema.Migrations[0].Sql, StringComparison.Ordinal);
    }
}
