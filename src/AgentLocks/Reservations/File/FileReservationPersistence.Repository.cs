using System.Security.Cryptography;

namespace AgentLocks;

/// <summary>The recorded repository root (<see cref="RepositoryRecord"/>).</summary>
internal sealed partial class FileReservationPersistence : IRepositoryRecord
{
    public string RepositoryPath => Path.Combine(ReservationsDirectory, "agentlocks-repository.json");

    bool IRepositoryRecord.Exists => Native.StatNoFollow(RepositoryPath) is not null;

    string? IRepositoryRecord.Read() => Parse(RepositoryPath, RepositoryRecord.Read)?.Repository;

    /// <summary>A durable temporary file moved into place without replacing: of two agents recording at once, the first wins.</summary>
    void IRepositoryRecord.Create(string root)
    {
        Directory.CreateDirectory(ReservationsDirectory);
        var temp = $"{RepositoryPath}.tmp-{Environment.ProcessId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(new RepositoryRecord(root).ToBytes());
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, RepositoryPath, overwrite: false);
            Native.FsyncDirectory(ReservationsDirectory);
        }
        catch (IOException) when (Native.StatNoFollow(RepositoryPath) is not null)
        {
            // Another agent recorded first; its root stands.
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
