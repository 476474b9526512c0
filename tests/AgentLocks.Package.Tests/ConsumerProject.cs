namespace AgentLocks.Package.Tests;

/// <summary>The consumer: sdk.md's acceptance example, plus one handle that leaks (for AGL001).</summary>
internal static class ConsumerProject
{
    public static string Csproj(string version) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="AgentLocks" Version="{version}" />
            <PackageReference Include="AgentLocks.Postgres" Version="{version}" />
          </ItemGroup>
        </Project>
        """;

    public const string Program = """
        using AgentLocks;

        var auth = ScopePattern.Parse("src/auth/**");
        Console.WriteLine($"overlaps: {auth.Overlaps(ScopePattern.Parse("src/auth/login.cs"))}");
        """;
}
