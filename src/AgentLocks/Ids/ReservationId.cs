using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// The ID of one reservation, such as beadboard's <c>res_20261123_185327.347Z_4ba5</c>. New IDs carry 96 random bits.
/// </summary>
/// <remarks>Usage: <c>var id = ReservationId.Parse("res_20261123_185327.347Z_4ba5");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<ReservationId>))]
[TypedId(Example = "res_20261123_185327.347Z_4ba5")]
public readonly partial struct ReservationId
{
    /// <summary>
    /// A new ID in beadboard's shape, <c>res_yyyyMMdd_HHmmss.fffZ_</c> followed by 96 random bits in hex,
    /// so two IDs made in the same millisecond never collide (beadboard keeps 16 bits).
    /// </summary>
    /// <remarks>Usage: <c>var id = ReservationId.New(timeProvider.GetUtcNow());</c></remarks>
    public static ReservationId New(DateTimeOffset now)
    {
        Span<byte> random = stackalloc byte[12];
        System.Security.Cryptography.RandomNumberGenerator.Fill(random);
        return new ReservationId(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"res_{now.UtcDateTime:yyyyMMdd_HHmmss.fff}Z_{Convert.ToHexString(random).ToLowerInvariant()}"));
    }

    private static string? Validate(ref string text) => IdRules.ReservationId(text);
}
