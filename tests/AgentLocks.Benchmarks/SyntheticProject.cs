using System.Globalization;
using AgentLocks.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentLocks.Benchmarks;

/// <summary>
/// The synthetic project the generator and analyzer benchmarks run on: 1,000 files, each an annotated agent class
/// that uses the API the way agent authors do (the generated <c>ReserveScopesAsync</c> with <c>await using</c>, a
/// <c>TryReserveAsync</c> released in <c>finally</c>, an identity lock), plus one file without attributes.
/// The code is valid: the analyzers report nothing on it, so what is measured is the cost of looking.
/// </summary>
internal static class SyntheticProject
{
    public const int Files = 1_000;

    public const string UnrelatedPath = "Unrelated.cs";

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>The project in memory, against the framework the benchmarks run on and the runtime library.</summary>
    public static CSharpCompilation Compilation()
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetDirectoryName(path) == frameworkDirectory)
            .Append(typeof(AgentId).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path));
        var trees = Enumerable.Range(0, Files)
            .Select(i => CSharpSyntaxTree.ParseText(AgentFile(i), ParseOptions, path: $"Agent{i}.cs"))
            .Append(CSharpSyntaxTree.ParseText(Unrelated(42), ParseOptions, path: UnrelatedPath))
            .Append(CSharpSyntaxTree.ParseText(SdkImplicitUsings.Source, ParseOptions, path: "GlobalUsings.cs"));
        return CSharpCompilation.Create(
            "Synthetic",
            trees,
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    public static string AgentFile(int i) => string.Create(CultureInfo.InvariantCulture, $$"""
        using AgentLocks;

        namespace Synthetic.Area{{i % 20}};

        [AgentIdentity("agent-{{i}}")]
        [ReservesScope("src/area{{i % 20}}/module{{i}}/**")]
        [ReservesScope("docs/module{{i}}.md", Mode = ReservationMode.Shared, TtlMinutes = 30)]
        public partial class Agent{{i}}
        {
            public static async Task<int> RunAsync(IReservationStore store, BeadId bead, CancellationToken ct)
            {
                await using var held = await ReserveScopesAsync(store, bead, ct).ConfigureAwait(false);
                return held.Handles.Count + {{i}};
            }

            public static async Task<long> PatchAsync(IReservationStore store, BeadId bead, CancellationToken ct)
            {
                var request = new ReservationRequest(AgentId, Scopes.SrcArea{{i % 20}}Module{{i}}, bead, TimeSpan.FromMinutes(10));
                var result = await store.TryReserveAsync(request, ct).ConfigureAwait(false);
                var handle = result.Handle;
                if (handle is null)
                {
                    return -1;
                }

                try
                {
                    return handle.FencingToken.Value;
                }
                finally
                {
                    await handle.DisposeAsync().ConfigureAwait(false);
                }
            }

            public static async Task<bool> HoldIdentityAsync(string directory, CancellationToken ct)
            {
                var identity = await new WorkerIdentityLock(directory).TryAcquireAsync(cancellationToken: ct).ConfigureAwait(false);
                if (identity is null)
                {
                    return false;
                }

                await using (identity)
                {
                    return identity.TookOver is null;
                }
            }
        }
        """);

    public static string Unrelated(int answer) => string.Create(CultureInfo.InvariantCulture, $$"""
        namespace Synthetic;

        public static class Unrelated
        {
            public static int Answer() => {{answer}};
        }
        """);

    /// <summary>
    /// Writes the project as a directory that <c>dotnet build</c> builds on its own: the files, and a project that
    /// references the runtime, the generator and the analyzers as built assemblies (as the NuGet package does).
    /// </summary>
    public static void Write(string directory, string runtime, string generator, string analyzers)
    {
        Directory.CreateDirectory(directory);
        for (var i = 0; i < Files; i++)
        {
            File.WriteAllText(Path.Combine(directory, $"Agent{i}.cs"), AgentFile(i));
        }

        File.WriteAllText(Path.Combine(directory, UnrelatedPath), Unrelated(42));
        File.WriteAllText(Path.Combine(directory, "Synthetic.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <!-- analyzer-cost.sh points this at another build of the analyzers to compare before and after. -->
                <AgentLocksAnalyzers Condition="'$(AgentLocksAnalyzers)' == ''">{analyzers}</AgentLocksAnalyzers>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="{runtime}" />
                <Analyzer Include="{generator}" />
                <Analyzer Include="$(AgentLocksAnalyzers)" />
              </ItemGroup>
            </Project>
            """);
    }
}
