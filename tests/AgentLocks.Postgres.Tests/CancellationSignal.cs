namespace AgentLocks.Postgres.Tests;

/// <summary>Waiting on a handle's <c>HandleLost</c> as a task, so tests synchronise on the event itself.</summary>
internal static class CancellationSignal
{
    /// <summary>A task that completes when <paramref name="token"/> is cancelled.</summary>
    public static Task WhenCancelled(this CancellationToken token)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(signal.SetResult);
        return signal.Task;
    }
}
