namespace AgentLocks.Package.Tests;

/// <summary>
/// The consumer: sdk.md's acceptance example (it must compile without a warning and run), and in a file of its own
/// one handle that leaks, for which the packaged analyzer must warn <c>AGL001</c>.
/// </summary>
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

    /// <summary>sdk.md's example, with the store's root from the environment and one line that shows the generated members.</summary>
    public const string Program = """
        using AgentLocks;

        [AgentIdentity("auth-refactorer")]
        [ReservesScope("src/auth/**")]
        [ReservesScope("docs/auth.md", Mode = ReservationMode.Shared, TtlMinutes = 30)]
        public partial class AuthRefactorer
        {
            public async Task RunAsync(IReservationStore store, CancellationToken ct)
            {
                AgentId me = AgentId;
                ScopePattern auth = Scopes.SrcAuth;
                await using var held = await ReserveScopesAsync(store, BeadId.Parse("bd-42"), ct);
                Console.WriteLine($"generated: {me} holds {auth} and {Scopes.DocsAuthMd}: {held.Handles.Count} handles");
            }
        }

        public static class Program
        {
            public static async Task Main()
            {
                var root = Environment.GetEnvironmentVariable("DEMO_ROOT")!;
                IReservationStore store = new FileReservationStore(root);
                await store.RegisterAgentAsync(AuthRefactorer.AgentId);
                await new AuthRefactorer().RunAsync(store, CancellationToken.None);

                await using var one = await store.ReserveAsync(
                    new ReservationRequest(AgentId.Parse("auth-refactorer"), ScopePattern.Parse("src/api/**"),
                                           BeadId.Parse("bd-43"), TimeSpan.FromMinutes(10)));
                Console.WriteLine($"{one.Reservation.Scope} until {one.Reservation.ExpiresAt:O}, token {one.FencingToken}");
            }
        }
        """;

    /// <summary>A handle taken and never released: the analyzer's headline rule.</summary>
    public const string Leak = """
        using AgentLocks;

        public static class Leak
        {
            public static async Task<FencingToken> ForgetAsync(IReservationStore store, ReservationRequest request)
            {
                var handle = await store.ReserveAsync(request);
                return handle.FencingToken;
            }
        }
        """;
}
