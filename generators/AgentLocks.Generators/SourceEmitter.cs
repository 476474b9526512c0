using System.Globalization;
using System.Linq;
using System.Text;
using AgentLocks.Generators.Model;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentLocks.Generators;

/// <summary>Writes the generated C# for a class and for the catalogue. Every type name is <c>global::</c>-qualified.</summary>
internal static class SourceEmitter
{
    public const string CatalogHintName = "AgentLocks.Generated.AgentLocksCatalog.g.cs";

    public static readonly string Version = typeof(SourceEmitter).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    private static readonly string GeneratedCode =
        $"[global::System.CodeDom.Compiler.GeneratedCode(\"AgentLocks.Generators\", \"{Version}\")]";

    /// <summary>The hint name: the fully qualified metadata name, unique per type (<c>My.Ns.Outer.Inner`1.AgentLocks.g.cs</c>).</summary>
    public static string HintName(TypeModel type) => type.MetadataName + ".AgentLocks.g.cs";

    public static string EmitClass(ClassModel model)
    {
        var w = new CodeWriter();
        var namespaced = model.Type.Namespace.Length > 0;
        if (namespaced)
        {
            w.Open("namespace " + model.Type.Namespace);
        }

        foreach (var declaration in model.Type.Declarations)
        {
            w.Open(declaration.Keyword + " " + declaration.Name);
        }

        if (model.AgentId is { } agent)
        {
            WriteIdProperty(w, "AgentId", agent, "The agent this class runs as, declared with <c>[AgentIdentity]</c>");
        }

        if (model.WorkerId is { } worker)
        {
            WriteIdProperty(w, "WorkerId", worker, "The worker identity this class claims, declared with <c>[WorkerIdentity]</c>");
        }

        if (model.Scopes.Count > 0)
        {
            WriteScopes(w, model);
            if (model.AgentId is not null)
            {
                WriteReserveScopes(w, model);
            }
        }

        foreach (var _ in model.Type.Declarations)
        {
            w.Close();
        }

        if (namespaced)
        {
            w.Close();
        }

        return w.ToString();
    }

    public static string EmitCatalog(EquatableArray<ClassModel> models)
    {
        var w = new CodeWriter();
        w.Open("namespace AgentLocks.Generated");
        w.Line("/// <summary>Every agent, worker and scope declared with AgentLocks attributes in this assembly, by type.</summary>");
        w.Line("/// <remarks>Usage: <c>foreach (var scope in AgentLocksCatalog.Scopes) { ... }</c></remarks>");
        w.Line(GeneratedCode);
        w.Open("internal static class AgentLocksCatalog");

        w.Line("/// <summary>An agent declared with <c>[AgentIdentity]</c> on <paramref name=\"TypeName\"/>.</summary>");
        w.Line("/// <param name=\"TypeName\">The fully qualified name of the declaring class.</param>");
        w.Line("/// <param name=\"Agent\">The agent id.</param>");
        w.Line("public sealed record AgentEntry(string TypeName, global::AgentLocks.AgentId Agent);");
        w.Gap();
        w.Line("/// <summary>A worker identity declared with <c>[WorkerIdentity]</c> on <paramref name=\"TypeName\"/>.</summary>");
        w.Line("/// <param name=\"TypeName\">The fully qualified name of the declaring class.</param>");
        w.Line("/// <param name=\"Worker\">The worker id.</param>");
        w.Line("public sealed record WorkerEntry(string TypeName, global::AgentLocks.WorkerId Worker);");
        w.Gap();
        w.Line("/// <summary>A scope declared with <c>[ReservesScope]</c> on <paramref name=\"TypeName\"/>.</summary>");
        w.Line("/// <param name=\"TypeName\">The fully qualified name of the declaring class.</param>");
        w.Line("/// <param name=\"Agent\">The class's agent, or null when it declares none.</param>");
        w.Line("/// <param name=\"MemberName\">The member of the class's generated <c>Scopes</c> class.</param>");
        w.Line("/// <param name=\"Scope\">The scope.</param>");
        w.Line("/// <param name=\"Mode\">The reservation mode.</param>");
        w.Line("/// <param name=\"Ttl\">The lease, or null for the store's default.</param>");
        w.Line("public sealed record ScopeEntry(string TypeName, global::AgentLocks.AgentId? Agent, string MemberName, global::AgentLocks.ScopePattern Scope, global::AgentLocks.ReservationMode Mode, global::System.TimeSpan? Ttl);");

        WriteList(w, "AgentEntry", "Agents", "Every declared agent", models
            .Where(m => m.AgentId is not null)
            .Select(m => $"new AgentEntry({Literal(m.Type.DisplayName)}, {Parse("AgentId", m.AgentId!)})"));
        WriteList(w, "WorkerEntry", "Workers", "Every declared worker identity", models
            .Where(m => m.WorkerId is not null)
            .Select(m => $"new WorkerEntry({Literal(m.Type.DisplayName)}, {Parse("WorkerId", m.WorkerId!)})"));
        WriteList(w, "ScopeEntry", "Scopes", "Every declared scope", models
            .SelectMany(m => m.Scopes.Select(s => string.Join(", ", [
                "new ScopeEntry(" + Literal(m.Type.DisplayName),
                m.AgentId is null ? "null" : Parse("AgentId", m.AgentId),
                Literal(s.MemberName.TrimStart('@')),
                Parse("ScopePattern", s.Scope.Pattern),
                "global::AgentLocks.ReservationMode." + s.Scope.ModeMember,
                Ttl(s.Scope) + ")",
            ]))));

        w.Close();
        w.Close();
        return w.ToString();
    }

    private static void WriteIdProperty(CodeWriter w, string type, string value, string summary)
    {
        var field = "__agentLocks" + type;
        w.Gap();
        w.Line(GeneratedCode);
        w.Line($"private static readonly global::AgentLocks.{type} {field} = {Parse(type, value)};");
        w.Gap();
        w.Line($"/// <summary>{summary}: <c>{Xml(value)}</c>.</summary>");
        w.Line(GeneratedCode);
        w.Line($"public static global::AgentLocks.{type} {type} => {field};");
    }

    private static void WriteScopes(CodeWriter w, ClassModel model)
    {
        w.Gap();
        w.Line("/// <summary>The scopes this class declares with <c>[ReservesScope]</c>, one member per scope.</summary>");
        w.Line(GeneratedCode);
        w.Open("public static class Scopes");
        foreach (var scope in model.Scopes)
        {
            w.Gap();
            w.Line($"/// <summary>The scope <c>{Xml(scope.Scope.Pattern)}</c> ({Describe(scope.Scope)}).</summary>");
            w.Line($"public static global::AgentLocks.ScopePattern {scope.MemberName} {{ get; }} = {Parse("ScopePattern", scope.Scope.Pattern)};");
        }

        w.Close();
    }

    private static void WriteReserveScopes(CodeWriter w, ClassModel model)
    {
        const string Store = "global::AgentLocks.IReservationStore store, global::AgentLocks.BeadId bead";
        const string Returns = "public static global::System.Threading.Tasks.Task<global::AgentLocks.ReservationSetHandle> ReserveScopesAsync";
        var scopes = string.Join(", ", model.Scopes.Select(s => $"<c>{Xml(s.Scope.Pattern)}</c> ({Describe(s.Scope)})"));

        w.Gap();
        w.Line("/// <summary>");
        w.Line("/// Reserves every declared scope for <see cref=\"AgentId\"/> all-or-nothing, in canonical order, refusing at once");
        w.Line("/// while one is held: " + scopes + ".");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"store\">The reservation store; the agent must be registered in it.</param>");
        w.Line("/// <param name=\"bead\">The bead the work is for.</param>");
        w.Line("/// <param name=\"ct\">Cancels the reservation.</param>");
        w.Line("/// <returns>One handle; disposing it releases every scope.</returns>");
        w.Line(GeneratedCode);
        w.Line($"{Returns}({Store}, global::System.Threading.CancellationToken ct = default)");
        w.Line("    => ReserveScopesAsync(store, bead, global::System.TimeSpan.Zero, ct);");

        w.Gap();
        w.Line("/// <summary>");
        w.Line("/// Reserves every declared scope for <see cref=\"AgentId\"/> all-or-nothing, in canonical order, waiting up to");
        w.Line("/// <paramref name=\"wait\"/> while one is held (<see cref=\"global::AgentLocks.ReservationRequest.Wait\"/>): " + scopes + ".");
        w.Line("/// </summary>");
        w.Line("/// <param name=\"store\">The reservation store; the agent must be registered in it.</param>");
        w.Line("/// <param name=\"bead\">The bead the work is for.</param>");
        w.Line("/// <param name=\"wait\">How long to wait for conflicting reservations to be released or to lapse; <see cref=\"global::System.Threading.Timeout.InfiniteTimeSpan\"/> waits as long as it takes.</param>");
        w.Line("/// <param name=\"ct\">Cancels the reservation and the wait.</param>");
        w.Line("/// <returns>One handle; disposing it releases every scope.</returns>");
        w.Line(GeneratedCode);
        w.Open($"{Returns}({Store}, global::System.TimeSpan wait, global::System.Threading.CancellationToken ct = default)");
        w.Open("if (store is null)");
        w.Line("throw new global::System.ArgumentNullException(nameof(store));");
        w.Close();
        w.Gap();
        w.Open("var requests = new global::AgentLocks.ReservationRequest[]");
        foreach (var scope in model.Scopes)
        {
            w.Line($"new global::AgentLocks.ReservationRequest(__agentLocksAgentId, Scopes.{scope.MemberName}, bead, {Ttl(scope.Scope)}) {{ Mode = global::AgentLocks.ReservationMode.{scope.Scope.ModeMember}, Wait = wait }},");
        }

        w.Close(";");
        w.Line("return store.ReserveAllAsync(requests, ct);");
        w.Close();
    }

    private static void WriteList(CodeWriter w, string entry, string name, string summary, System.Collections.Generic.IEnumerable<string> items)
    {
        w.Gap();
        w.Line($"/// <summary>{summary}, ordered by type name.</summary>");
        w.Open($"public static global::System.Collections.Generic.IReadOnlyList<{entry}> {name} {{ get; }} = new {entry}[]");
        foreach (var item in items)
        {
            w.Line(item + ",");
        }

        w.Close(";");
    }

    private static string Describe(DeclaredScope scope) =>
        scope.ModeMember.ToLowerInvariant() + ", " + (scope.TtlMinutes == 0
            ? "the store's default TTL"
            : scope.TtlMinutes.ToString(CultureInfo.InvariantCulture) + " minutes");

    private static string Ttl(DeclaredScope scope) => scope.TtlMinutes == 0
        ? "null"
        : "global::System.TimeSpan.FromMinutes(" + scope.TtlMinutes.ToString(CultureInfo.InvariantCulture) + ")";

    private static string Parse(string type, string value) => $"global::AgentLocks.{type}.Parse({Literal(value)})";

    private static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    private static string Xml(string text)
    {
        // Line breaks would end the /// comment and let the text run on as code, so they become character references.
        var xml = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => xml.Append("&amp;"),
                '<' => xml.Append("&lt;"),
                '>' => xml.Append("&gt;"),
                _ when char.IsControl(c) || c is '\u2028' or '\u2029' => xml.Append("&#x").Append(((int)c).ToString("X", CultureInfo.InvariantCulture)).Append(';'),
                _ => xml.Append(c),
            };
        }

        return xml.ToString();
    }

    /// <summary>A string builder that indents by braces, with the <c>auto-generated</c> header already written.</summary>
    private sealed class CodeWriter
    {
        private readonly StringBuilder _text = new("// <auto-generated/>\n#nullable enable\n\n");
        private int _depth;
        private bool _opened;

        public void Line(string line)
        {
            _text.Append(' ', _depth * 4).Append(line).Append('\n');
            _opened = false;
        }

        /// <summary>A blank line between members; none right after an opening brace.</summary>
        public void Gap()
        {
            if (!_opened)
            {
                _text.Append('\n');
            }
        }

        public void Open(string header)
        {
            Line(header);
            Line("{");
            _depth++;
            _opened = true;
        }

        public void Close(string suffix = "")
        {
            _depth--;
            Line("}" + suffix);
        }

        public override string ToString() => _text.ToString();
    }
}
