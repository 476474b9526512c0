using AgentLocks.Analyzers.Rules;

namespace AgentLocks.Analyzers.Tests;

/// <summary>The analyzer's port of the ID and scope rules answers exactly as the runtime does.</summary>
public sealed class RuleAgreementTests
{
    private static readonly string[] Inputs =
    [
        "", "a", "ab", "abc", "auth-refactorer", "Auth-Refactorer", "-abc", "abc-", "a--b", "a_b", "polecat-1", "polecat.1",
        "_x", "bd-42", "bd:42", "x y", " lead", "lead ", "tab\there", "%12", "$3", "@2", "gt-polecat-1", "ü-agent",
        new string('a', 48), new string('a', 49), new string('b', 64), new string('b', 65), new string('c', 128), new string('c', 129),
        "src/auth/**", "src\\auth\\**", "./src/auth/", "src//auth", "src/../etc", "/", "/repo/src", ".", "./", "src/a**b/x",
        "deploy:prod", "bead:bd-12", "C:/repo/src", "x:y", "1x:y", "docs/*.md", "src/?.cs", "src/*/**", "**", new string('d', 1025),
    ];

    public static TheoryData<string> Texts() => [.. Inputs];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Typed_ids_agree_with_the_runtime(string text)
    {
        Assert.Equal(AgentId.TryParse(text, out _), IdRules.Explain("AgentId", text) is null);
        Assert.Equal(WorkerId.TryParse(text, out _), IdRules.Explain("WorkerId", text) is null);
        Assert.Equal(BeadId.TryParse(text, out _), IdRules.Explain("BeadId", text) is null);
        Assert.Equal(SessionId.TryParse(text, out _), IdRules.Explain("SessionId", text) is null);
        Assert.Equal(ReservationId.TryParse(text, out _), IdRules.Explain("ReservationId", text) is null);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Scope_normalisation_agrees_with_the_runtime(string text)
    {
        var runtimeValid = ScopePattern.TryParse(text, out var runtime);
        var error = ScopeRules.Normalize(text, out var normalized);
        Assert.Equal(runtimeValid, error is null);
        if (runtimeValid)
        {
            Assert.Equal(runtime.Value, normalized);
        }
    }

    [Fact]
    public void Scope_overlap_agrees_with_the_runtime_on_every_pair()
    {
        var scopes = Inputs.Where(t => ScopePattern.TryParse(t, out _)).Select(ScopePattern.Parse).ToList();
        Assert.True(scopes.Count > 20);
        var overlapping = 0;
        foreach (var a in scopes)
        {
            foreach (var b in scopes)
            {
                var expected = a.Overlaps(b);
                Assert.Equal(expected, ScopeRules.Overlaps(a.Value, b.Value));
                overlapping += expected ? 1 : 0;
            }
        }

        Assert.InRange(overlapping, scopes.Count, (scopes.Count * scopes.Count) - 1); // both answers occur
    }

    [Theory]
    [InlineData("src/auth/**", "SrcAuth")]
    [InlineData("docs/auth.md", "DocsAuthMd")]
    [InlineData("deploy:prod", "DeployProd")]
    [InlineData("src/api-v2/*.cs", "SrcApiV2Cs")]
    [InlineData("2024/notes", "_2024Notes")]
    public void Generated_member_names_follow_the_pattern_words(string pattern, string name) =>
        Assert.Equal(name, ScopeNames.MemberName(pattern));
}
