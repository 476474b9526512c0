using AgentLocks;

namespace AgentLocks.Tests.Scopes;

public sealed class ScopePatternTests
{
    [Theory]
    [InlineData("src/auth", "src/auth")]
    [InlineData("./src/auth/", "src/auth")]
    [InlineData(@"src\auth\login.cs", "src/auth/login.cs")]
    [InlineData("src/./auth", "src/auth")]
    [InlineData("/repo/src/auth", "/repo/src/auth")]
    [InlineData("src/a**b/**", "src/a*b/**")]
    [InlineData("bead:bd-12", "bead:bd-12")]
    [InlineData("deploy:prod", "deploy:prod")]
    public void Normalises(string text, string expected)
        => Assert.Equal(expected, ScopePattern.Parse(text).Value);

    [Theory]
    [InlineData("../etc/passwd", "'..'")]
    [InlineData("src/../../etc", "'..'")]
    [InlineData("src//auth", "empty")]
    [InlineData("", "1 to")]
    [InlineData("src/\u0001", "control")]
    [InlineData(" src", "white space")]
    [InlineData(".", "at least one")]
    public void Rejects_traversal_and_malformed_paths(string text, string rule)
    {
        var error = Assert.Throws<FormatException>(() => ScopePattern.Parse(text));
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("src/auth/**", "src/auth/login.cs", true)]
    [InlineData("src/auth/**", "src", true)]
    [InlineData("src/auth", "src/auth/login.cs", true)]
    [InlineData("src/auth", "src/authz", false)]
    [InlineData("src/auth/**", "src/api/**", false)]
    [InlineData("src/*.cs", "src/a.cs", true)]
    [InlineData("src/*.cs", "src/a.ts", false)]
    [InlineData("src/*.cs", "src/sub/a.cs", false)]
    [InlineData("src/**/*.cs", "src/deep/er/a.cs", true)]
    [InlineData("src/**/*.cs", "lib/deep/a.cs", false)]
    [InlineData("src/**/*.cs", "src/deep/er/a.ts", true)] // a literal path may be a directory holding .cs files
    [InlineData("src/*", "src/a/b.cs", false)]
    [InlineData("src/*/**", "src/a/b.cs", true)]
    [InlineData("src/**/test/*.cs", "src/*/test/x?.cs", true)]
    [InlineData("src/a?c", "src/abc", true)]
    [InlineData("src/a?c", "src/ac", false)]
    [InlineData("*.md", "docs", false)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("src/*/login.cs", "src/auth", true)]
    [InlineData("/repo/src/auth", "/repo/src/auth/login.ts", true)]
    [InlineData("/repo/src", "repo/src", false)]
    [InlineData("bead:bd-12", "bead:bd-12", true)]
    [InlineData("bead:bd-12", "bead:bd-13", false)]
    [InlineData("deploy:prod", "deploy", false)]
    [InlineData("deploy:prod", "**", false)]
    public void Overlap_is_symmetric_and_covers_subtrees(string a, string b, bool overlaps)
    {
        var left = ScopePattern.Parse(a);
        var right = ScopePattern.Parse(b);
        Assert.Equal(overlaps, left.Overlaps(right));
        Assert.Equal(overlaps, right.Overlaps(left));
    }

    [Theory]
    [InlineData("src/auth/**", "src/auth/login.cs", true)]
    [InlineData("src/auth", "src/auth/deep/file.cs", true)]
    [InlineData("src/*.cs", "src/a.cs", true)]
    [InlineData("src/*.cs", "src/a.ts", false)]
    [InlineData("src/auth/**", "src/*", false)]
    public void Covers_concrete_paths_only(string scope, string path, bool covered)
        => Assert.Equal(covered, ScopePattern.Parse(scope).Covers(path));
}
