using AgentLocks.Generators;
using AgentLocks.Generators.Model;

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
        var members = ScopeMemberNaming.Assign(
        [
            Scope("src/*.cs"),
            Scope("src/**/*.cs"),
            Scope("lib/a", name: "SrcCs"),
            Scope("lib/b", name: "SrcCs2"),
            Scope("scopes"),
            Scope("lib/c", name: "event"),
            Scope("lib/d", name: "not valid"),
        ]);

        Assert.Equal(["SrcCs3", "SrcCs4", "SrcCs", "SrcCs2", "Scopes2", "@event", "LibD"], members.Select(m => m.MemberName));
    }

    [Fact]
    public void APatternDeclaredTwiceIsGeneratedOnce()
    {
        var members = ScopeMemberNaming.Assign([Scope("src/**"), Scope("src/**", mode: "Shared"), Scope("docs/**")]);

        Assert.Equal(["Src", "Docs"], members.Select(m => m.MemberName));
        Assert.Equal("Exclusive", members[0].Scope.ModeMember);
    }

    [Fact]
    public void NamingIsDeterministicForTheSameDeclarations()
    {
        DeclaredScope[] declared = [Scope("a/b"), Scope("a-b"), Scope("a.b", name: "AB")];

        Assert.Equal(ScopeMemberNaming.Assign(declared), ScopeMemberNaming.Assign([.. declared]));
        Assert.Equal(["AB2", "AB3", "AB"], ScopeMemberNaming.Assign(declared).Select(m => m.MemberName));
    }

    private static DeclaredScope Scope(string pattern, string mode = "Exclusive", string? name = null) => new(pattern, mode, 0, name);
}
