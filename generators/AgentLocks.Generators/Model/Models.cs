namespace AgentLocks.Generators.Model;

// Pipeline models: only strings, numbers and equatable arrays, never symbols, syntax or locations, so the
// incremental driver can compare them across runs and cache everything an edit did not touch.

/// <summary>One type declaration in the chain from the namespace down to the annotated class.</summary>
/// <param name="Keyword">The declaration keywords without accessibility (<c>partial class</c>, <c>partial record struct</c>).</param>
/// <param name="Name">The name with its type parameters (<c>Inner&lt;T&gt;</c>).</param>
internal sealed record TypeDeclarationModel(string Keyword, string Name);

/// <summary>Where an annotated class lives and how to reopen it.</summary>
/// <param name="Namespace">The namespace, empty for the global namespace.</param>
/// <param name="Declarations">The containing types, outermost first, then the class itself.</param>
/// <param name="MetadataName">The fully qualified metadata name (<c>My.Ns.Outer.Inner`1</c>): the grouping key and hint name.</param>
/// <param name="DisplayName">The fully qualified C# name (<c>My.Ns.Outer.Inner&lt;T&gt;</c>) for docs and the catalogue.</param>
internal sealed record TypeModel(
    string Namespace,
    EquatableArray<TypeDeclarationModel> Declarations,
    string MetadataName,
    string DisplayName);

/// <summary>A <c>[ReservesScope]</c> as written.</summary>
/// <param name="Pattern">The pattern text.</param>
/// <param name="ModeMember">The <c>ReservationMode</c> member name (<c>Exclusive</c>, <c>Shared</c>).</param>
/// <param name="TtlMinutes">The lease in minutes; 0 takes the store's default.</param>
/// <param name="Name">The member name the author asked for, or null.</param>
internal sealed record DeclaredScope(string Pattern, string ModeMember, int TtlMinutes, string? Name);

/// <summary>What one partial declaration of a class contributes; several fragments make one class.</summary>
/// <param name="Type">The class.</param>
/// <param name="AgentId">The <c>[AgentIdentity]</c> id, or null.</param>
/// <param name="WorkerId">The <c>[WorkerIdentity]</c> name, or null.</param>
/// <param name="Scopes">The <c>[ReservesScope]</c> attributes of this declaration, in source order.</param>
internal sealed record ClassFragment(TypeModel Type, string? AgentId, string? WorkerId, EquatableArray<DeclaredScope> Scopes);

/// <summary>A scope with the member name it gets in the generated <c>Scopes</c> class.</summary>
/// <param name="MemberName">The C# identifier (escaped with <c>@</c> when it is a keyword).</param>
/// <param name="Scope">The scope as declared.</param>
internal sealed record ScopeMember(string MemberName, DeclaredScope Scope);

/// <summary>Everything generated for one class, merged from all its partial declarations.</summary>
/// <param name="Type">The class.</param>
/// <param name="AgentId">The agent id, or null.</param>
/// <param name="WorkerId">The worker id, or null.</param>
/// <param name="Scopes">The scopes with their member names, in declaration order.</param>
internal sealed record ClassModel(TypeModel Type, string? AgentId, string? WorkerId, EquatableArray<ScopeMember> Scopes);
