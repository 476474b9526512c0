using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace AgentLocks.Generators.Tests;

/// <summary>
/// Walks an object graph by reflection (fields, including compiler-generated backing fields, and enumerables) and
/// reports every value that would pin a compilation in the incremental cache: symbols, syntax, compilations,
/// semantic models, syntax trees and locations.
/// </summary>
internal static class ModelGraph
{
    private static readonly Type[] Forbidden =
        [typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(Location), typeof(SemanticModel), typeof(SyntaxTree)];

    public static IReadOnlyList<string> FindForbidden(object? root)
    {
        var found = new List<string>();
        Walk(root, "output", found, new HashSet<object>(ReferenceEqualityComparer.Instance));
        return found;
    }

    private static void Walk(object? value, string path, List<string> found, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        var type = value.GetType();
        if (Forbidden.Any(f => f.IsAssignableFrom(type)))
        {
            found.Add($"{path}: {type.FullName}");
            return;
        }

        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }

        if (value is IEnumerable items)
        {
            var i = 0;
            foreach (var item in items)
            {
                Walk(item, $"{path}[{i++}]", found, seen);
            }

            return;
        }

        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                Walk(field.GetValue(value), $"{path}.{field.Name}", found, seen);
            }
        }
    }
}
