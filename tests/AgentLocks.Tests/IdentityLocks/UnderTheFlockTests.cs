namespace AgentLocks.Tests.IdentityLocks;

/// <summary>
/// Every operation that may change the lock file decides while holding gastown's flock, so nobody (this SDK in
/// another process, or gastown) can take the lock between the decision and the write or removal.
/// </summary>
public sealed class UnderTheFlockTests : IDisposable
{
    private const int StalePid = 424242;
    private readonly TempWorker _temp = new();
    private readonly FakeProcessProbe _probe = new();

    public UnderTheFlockTests() => _probe.Dead.Add(StalePid);

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Operations => ["acquire", "release", "force-release", "check"];

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task The_holder_is_judged_while_the_flock_is_held(string operation)
    {
        TempWorker.WriteLock(_temp.Worker, $$"""{"pid": {{StalePid}}, "acquired_at": "2026-11-23T18:00:00Z", "hostname": "{{_probe.HostName}}"}""");
        var flockFreeAtJudgement = new List<bool>();
        _probe.BeforeProbe = pid =>
        {
            if (pid == StalePid)
            {
                // A second open file description, as another process (or gastown) would have.
                using var runtime = new LockFile(_temp.Worker).OpenRuntime(create: false)!;
                using var other = runtime.OpenFlockFile();
                flockFreeAtJudgement.Add(Native.TryLockExclusive(other));
            }
        };
        var workerLock = new WorkerIdentityLock(_temp.Worker, _probe.Environment());

        switch (operation)
        {
            case "acquire":
                await (await workerLock.AcquireAsync()).DisposeAsync();
                break;
            case "release":
                await Assert.ThrowsAsync<AgentLocksException>(() => workerLock.ReleaseAsync(StalePid));
                break;
            case "force-release":
                await workerLock.ForceReleaseAsync();
                break;
            case "check":
                await workerLock.CheckAsync();
                break;
        }

        Assert.NotEmpty(flockFreeAtJudgement);
        Assert.DoesNotContain(true, flockFreeAtJudgement);
    }
}
