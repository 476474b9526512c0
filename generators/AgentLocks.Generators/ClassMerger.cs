using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using AgentLocks.Generators.Model;

namespace AgentLocks.Generators;

/// <summary>
/// Merges the fragments of every partial declaration into one <see cref="ClassModel"/> per class, so a class
/// whose attributes are spread over several files still gets one generated file.
/// </summary>
internal static class ClassMerger
{
    public static EquatableArray<ClassModel> Merge(
        ImmutableArray<ClassFragment?> agents,
        ImmutableArray<ClassFragment?> workers,
        ImmutableArray<ClassFragment?> scopes)
    {
        // Fragments arrive in syntax-tree order, so declaration order (and with it member naming) is stable.
        var byType = new Dictionary<string, List<ClassFragment>>(System.StringComparer.Ordinal);
        foreach (var fragment in agents.Concat(workers).Concat(scopes))
        {
            if (fragment is null)
            {
                continue;
            }

            if (!byType.TryGetValue(fragment.Type.MetadataName, out var list))
            {
                byType[fragment.Type.MetadataName] = list = [];
            }

            list.Add(fragment);
        }

        return new EquatableArray<ClassModel>([.. byType
            .OrderBy(pair => pair.Key, System.StringComparer.Ordinal)
            .Select(pair => new ClassModel(
                pair.Value[0].Type,
                pair.Value.Select(f => f.AgentId).FirstOrDefault(id => id is not null),
                pair.Value.Select(f => f.WorkerId).FirstOrDefault(id => id is not null),
                Members([.. pair.Value.SelectMany(f => f.Scopes)])))]);
    }

    private static EquatableArray<ScopeMember> Members(DeclaredScope[] scopes)
    {
        var names = ScopeMemberNaming.Assign([.. scopes.Select(s => (s.Pattern, s.Name))]);
        return new EquatableArray<ScopeMember>([.. scopes.Select((s, i) => names[i] is { } name ? new ScopeMember(name, s) : null).OfType<ScopeMember>()]);
    }
}
