using System.Reflection;
using Microsoft.CodeAnalysis;

namespace AgentLocks.Analyzers;

/// <summary>Every diagnostic AgentLocks reports; each has a page under <c>analyzers/docs/</c>.</summary>
internal static class Descriptors
{
    /// <summary>
    /// The repository's address: MSBuild's <c>RepositoryUrl</c> (Directory.Build.props), the one the packages carry,
    /// compiled into this assembly by the SDK as its <c>RepositoryUrl</c> metadata. Help links are built from it.
    /// </summary>
    public static readonly string RepositoryUrl = typeof(Descriptors).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "RepositoryUrl").Value!.TrimEnd('/');

    public static readonly string HelpLinkBase = RepositoryUrl + "/blob/main/analyzers/docs/";

    public static readonly DiagnosticDescriptor HandleNotReleased = Create(
        "AGL001",
        "Handle is not released on every path",
        "'{0}' is not released on every path: use 'await using', release it in a 'finally' that covers its use, or hand it on",
        "Reliability",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor HandleDiscarded = Create(
        "AGL002",
        "Handle is discarded",
        "The handle returned by '{0}' is discarded, so the reservation or lock stays held until its lease expires",
        "Reliability",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor AcquisitionNotAwaited = Create(
        "AGL003",
        "Acquisition is not awaited",
        "The acquisition '{0}' is not awaited, so its handle can never be released",
        "Reliability",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor SynchronousDisposeInAsyncMethod = Create(
        "AGL004",
        "Synchronous release of an asynchronous handle in an async method",
        "'{0}' is released synchronously in an async method: use 'await using' or 'await {0}.DisposeAsync()'",
        "Usage",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor HandleUsedAfterRelease = Create(
        "AGL005",
        "Handle is used after it was released",
        "'{0}' is used after it was released",
        "Reliability",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ReleaseCanBeAwaitUsing = Create(
        "AGL006",
        "Release in 'finally' can be 'await using'",
        "The 'finally' only releases '{0}': use 'await using'",
        "Style",
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor InvalidScopePattern = Create(
        "AGL010",
        "Invalid scope pattern",
        "'{0}' is not a valid scope: {1}",
        "Usage",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TtlOutOfRange = Create(
        "AGL011",
        "TTL outside 5 to 1440 minutes",
        "TtlMinutes = {0} is outside 5 to 1440 minutes (0 takes the store's default)",
        "Usage",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ClassNotPartial = Create(
        "AGL012",
        "AgentLocks attribute on a non-partial class",
        "'{0}' has [{1}] but is not partial, so nothing can be generated for it",
        "Usage",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ScopeMemberRenamed = Create(
        "AGL013",
        "Scope member is not named as asked",
        "The scope '{0}' generates the member 'Scopes.{1}' instead of '{2}': {3}; set a unique Name that is a C# identifier",
        "Usage",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor OverlappingExclusiveScopes = Create(
        "AGL014",
        "Exclusive scopes of one class overlap",
        "The exclusive scopes '{0}' and '{1}' of '{2}' overlap: reserving both can never succeed",
        "Usage",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor InvalidIdentity = Create(
        "AGL015",
        "Invalid identity",
        "'{0}' is not a valid {1}: {2}",
        "Usage",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidLiteral = Create(
        "AGL016",
        "Parse of an invalid literal",
        "'{0}' is not a valid {1}: {2}; this call always throws",
        "Usage",
        DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + id + ".md");
}
