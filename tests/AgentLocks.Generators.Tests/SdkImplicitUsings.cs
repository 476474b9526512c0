namespace AgentLocks.Tests.Shared;

/// <summary>
/// The global usings the .NET SDK adds to a console app with <c>ImplicitUsings</c>, for in-memory compilations of
/// the acceptance example, the samples and the benchmarks' synthetic project (the other projects link this file).
/// </summary>
internal static class SdkImplicitUsings
{
    public const string Source = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;
}
