using System.Diagnostics;
using AgentLocks.ContractTests;

namespace AgentLocks.Tests.IdentityLocks;

/// <summary>The shared identity-lock contract on files: workers are directories below a temporary root; a holder dies as a real process.</summary>
public sealed class FileWorkerIdentityLockContractTests : WorkerIdentityLockContract, IDisposable
{
    private readonly TempWorker _temp = new();

    protected override string? Under => _temp.Root;

    public void Dispose() => _temp.Dispose();

    protected override Task<IWorkerIdentityLocks> CreateLocksAsync() => Task.FromResult<IWorkerIdentityLocks>(new FileWorkerIdentityLocks());

    protected override string Worker(string name) => _temp.NewWorker(name);

    protected override async Task<WorkerLockHandle> AcquireThenLoseHolderAsync(IWorkerIdentityLock workerLock)
    {
        using var holder = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var held = await workerLock.AcquireAsync(new WorkerLockRequest { HolderPid = holder.Id });
        holder.Kill();
        await holder.WaitForExitAsync();
        return held;
    }
}
