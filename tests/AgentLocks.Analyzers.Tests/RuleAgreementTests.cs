using AgentLocks.Analyzers.Validation;

namespace AgentLocks.Analyzers.Tests;

/// <summary>
/// The analyzers compile the runtime's rule files for netstandard2.0 with polyfills for the newer APIs; this
/// copy must answer exactly as the runtime's own build does.
/// </summary>
public sealed class RuleAgreementTests
{
    private static readonly string[] Inputs =
    [
        "", "a", "ab", "abc", "auth-refactorer", "Auth-Refactorer", "-abc", "abc-", "a--b", "a_b", "polecat-1", "polecat.1",
        "_x", "bd-42", "bd:42", "x y", " lead", "lead ", "tab\there", "%12", "$3", "@2", "gt-polecat-1", "ü-agent",
        new string('a', 48), new string('a', 49), new string('b', 64), new string('b', 65), new string('c', 128), new string('c', 129),
        "src/auth/**", "src\\auth\\**", "./src/auth/", "src//auth", "src/../etc", "/", "/repo/src", ".", "./", "src/a**b/x",
        "deploy:prod", "bead:bd-12", "C:/repo/src", "x:y", "1x:y", "docs/*.md", "src/?.cs", "src/*/**", "**", new string('d', 1025),
        "src/x***y/z", "Deploy:Prod", "de:", "-x:y", "a+b.c-d:e", "AUTH", "x\u0001y",
    ];

    public static TheoryData<string> Texts() => [.. Inputs];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Typed_ids_agree_with_the_runtime(string text)
    {
        Agree(AgentId.Parse, "AgentId", text);
        Agree(WorkerId.Parse, "WorkerId", text);
        Agree(BeadId.Parse, "BeadId", text);
        Agree(SessionId.Parse, "SessionId", text);
        Agree(ReservationId.Parse, "ReservationId", text);
        Agree(ScopePattern.Parse, "ScopePattern", text);
    }

    /// <summary>Valid for both, or the analyzer's message is the runtime's <see cref="FormatException"/> message.</summary>
    private static void Agree<T>(Func<string, T> parse, string typeName, string text)
    {
        string? runtime = null;
        try
        {
            parse(text);
        }
        catch (FormatException e)
        {
            runtime = e.Message;
        }

        var analyzer = TypedIdRules.TryExplain(typeName, text, out var kind, out var error) ? $"'{text}' is not a valid {kind}: {error}" : null;
        Assert.Equal(runtime, analyzer);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Scope_normalisation_agrees_with_the_runtime(string text)
    {
        var runtimeValid = ScopePattern.TryParse(text, out var runtime);
        var error = ScopeGlob.Normalize(text, out var normalized);
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
                Assert.Equal(expected, ScopeGlob.Overlaps(a.Value, b.Value));
                overlapping += expected ? 1 : 0;
            }
        }

        Assert.InRange(overlapping, scopes.Count, (scopes.Count * scopes.Count) - 1); // both answers occur
    }
}
