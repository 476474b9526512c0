using CsCheck;

namespace AgentLocks.Tests.Scopes;

/// <summary>The PostgreSQL store locks and reads by literal prefix; that is sound only if overlapping scopes have nested prefixes.</summary>
public sealed class LiteralPrefixTests
{
    private static readonly string[] Segments = ["src", "auth", "a.cs", "ab", "**", "*", "a*", "*.cs", "?b"];

    private static readonly Gen<ScopePattern> Scope = Gen.Frequency(
        (9, Gen.Select(Gen.Int[0, 5], Gen.Int[0, Segments.Length - 1].Array[1, 4],
            (absolute, segments) => ScopePattern.Parse((absolute == 0 ? "/" : "") + string.Join('/', segments.Select(s => Segments[s]))))),
        (1, Gen.OneOf(ScopePattern.Parse("deploy:prod"), ScopePattern.Parse("deploy:prod2"))));

    [Theory]
    [InlineData("src/auth/**", "src/auth/")]
    [InlineData("src/auth/login.cs", "src/auth/login.cs/")]
    [InlineData("src", "src/")]
    [InlineData("src/*.cs", "src/")]
    [InlineData("src/a*/x.cs", "src/")]
    [InlineData("/repo/*.md", "/repo/")]
    [InlineData("/**", "/")]
    [InlineData("**/*.md", "")]
    [InlineData("deploy:prod", "deploy:prod")]
    public void Is_the_segments_before_the_first_wildcard(string scope, string prefix)
        => Assert.Equal(prefix, ScopeGlob.LiteralPrefix(ScopePattern.Parse(scope).Value));

    [Fact]
    public void Overlapping_scopes_have_nested_prefixes()
        => Gen.Select(Scope, Scope).Sample((a, b) =>
        {
            var (pa, pb) = (ScopeGlob.LiteralPrefix(a.Value), ScopeGlob.LiteralPrefix(b.Value));
            return !a.Overlaps(b) || pa.StartsWith(pb, StringComparison.Ordinal) || pb.StartsWith(pa, StringComparison.Ordinal);
        }, iter: 20_000);
}
