using AgentLocks.Generators;

namespace AgentLocks.Generators.Tests;

/// <summary>The naming rule of the generated <c>Scopes</c> members (docs/generator.md).</summary>
public sealed class NamingTests
{
    [Theory]
    [InlineData("src/auth/**", "SrcAuth")]
    [InlineData("docs/auth.md", "DocsAuthMd")]
    [InlineData("deploy:prod", "DeployProd")]
    [InlineData("bead:bd-12", "BeadBd12")]
    [InlineData("/repo/src/auth", "RepoSrcAuth")]
    [InlineData("src/my_module/AuthService.cs", "SrcMyModuleAuthServiceCs")]
    [InlineData("docs/über/*.md", "DocsÜberMd")]
    [InlineData("**", "Scope")]
    [InlineData("2024/notes", "Scope2024Notes")]
    public void NamesAreDerivedFromThePattern(string pattern, string expected) =>
        Assert.Equal(expected, ScopeMemberNaming.Derive(pattern));

    [Fact]
    public void CollisionsGetTheSmallestFreeSuffixExplicitNamesFirst()
    {
        var names = ScopeMemberNaming.Assign(
        [
            ("src/*.cs", null),
            ("src/**/*.cs", null),
            ("lib/a", "SrcCs"),
            ("lib/b", "SrcCs2"),
            ("scopes", null),
            ("lib/c", "event"),
            ("lib/d", "not valid"),
        ]);

        Assert.Equal(["SrcCs3", "SrcCs4", "SrcCs", "SrcCs2", "Scopes2", "@event", "LibD"], names.AsEnumerable());
    }

    [Fact]
    public void APatternDeclaredTwiceIsGeneratedOnceTheFirstDeclarationWins()
    {
        var names = ScopeMemberNaming.Assign([("src/**", null), ("src/**", "Again"), ("docs/**", null)]);

        Assert.Equal(["Src", null, "Docs"], names.AsEnumerable());
    }

    [Fact]
    public void NamingIsDeterministicForTheSameDeclarations()
    {
        (string, string?)[] declared = [("a/b", null), ("a-b", null), ("a.b", "AB")];

        Assert.Equal(ScopeMemberNaming.Assign(declared).AsEnumerable(), ScopeMemberNaming.Assign([.. declared]));
        Assert.Equal(["AB2", "AB3", "AB"], ScopeMemberNaming.Assign(declared).AsEnumerable());
    }

    [Theory]
    [InlineData("src/auth/**", null, "SrcAuth")]
    [InlineData("src/auth/**", "Auth", "Auth")]
    [InlineData("src/auth/**", "not valid", "SrcAuth")]
    [InlineData("src/auth/**", "@Auth", "SrcAuth")]
    public void TheRequestedNameIsAValidNameElseTheDerivedOne(string pattern, string? name, string expected) =>
        Assert.Equal(expected, ScopeMemberNaming.Requested(pattern, name));
}
