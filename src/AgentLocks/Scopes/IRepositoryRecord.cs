namespace AgentLocks;

/// <summary>Where a store keeps the repository root its agents agree on (see <see cref="RepositoryRoot.Agreed"/>).</summary>
internal interface IRepositoryRecord
{
    /// <summary>Whether a root is recorded (it is not read: a damaged record is found when it is needed).</summary>
    bool Exists { get; }

    /// <summary>The recorded root, or null; a damaged record is <c>STORE_CORRUPT</c>.</summary>
    string? Read();

    /// <summary>Records <paramref name="root"/> (with the store's next write) unless a root is already recorded; an existing record is never replaced.</summary>
    void Create(string root);
}
