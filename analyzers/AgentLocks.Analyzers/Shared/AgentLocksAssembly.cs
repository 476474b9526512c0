using Microsoft.CodeAnalysis;

namespace AgentLocks.Analyzers;

/// <summary>
/// The assembly that declares the AgentLocks API, where the analyzers look its types up. Asking that one assembly,
/// rather than <see cref="Compilation.GetTypeByMetadataName"/> (which opens the namespace in every reference, some
/// 200 of them in a .NET project), keeps the analyzers' start in every compilation to a few lookups.
/// </summary>
internal static class AgentLocksAssembly
{
    private const string Name = "AgentLocks";

    /// <summary>The compilation itself when it builds AgentLocks, else its reference of that name; null without one.</summary>
    public static IAssemblySymbol? Find(Compilation compilation)
    {
        if (compilation.Assembly.Name == Name)
        {
            return compilation.Assembly;
        }

        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (assembly.Name == Name)
            {
                return assembly;
            }
        }

        return null;
    }
}
