namespace AgentLocks;

/// <summary>The recorded repository root (<see cref="RepositoryRecord"/>).</summary>
internal sealed partial class FileReservationPersistence : IRepositoryRecord
{
    public string RepositoryPath => Path.Combine(ReservationsDirectory, "agentlocks-repository.json");

    bool IRepositoryRecord.Exists => Native.StatNoFollow(RepositoryPath) is not null;

    string? IRepositoryRecord.Read() => Parse(RepositoryPath, RepositoryRecord.Read)?.Repository;

    /// <summary>The root to record with the next commit, so a call that fails or only reads changes nothing.</summary>
    private string? _unrecorded;

    void IRepositoryRecord.Create(string root) => _unrecorded = root;

    /// <summary>Under the mutex, with a commit; of two agents recording at once the first wins (<see cref="DurableFile.CreateAtomic"/> never replaces).</summary>
    private void RecordRepository()
    {
        if (Interlocked.Exchange(ref _unrecorded, null) is { } root)
        {
            try
            {
                DurableFile.CreateAtomic(RepositoryPath, new RepositoryRecord(root).ToBytes());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The commit stands; the next store that knows the root records it.
            }
        }
    }
}
