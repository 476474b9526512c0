using System.Runtime.ExceptionServices;

namespace AgentLocks;

/// <summary>
/// Two blocking calls at once, for two syncs of different files, each of which waits for the device and not for the
/// other: the second runs on a thread of its own (one per process, asleep in between; the thread pool's workers spin
/// for a while after each item, which eight busy processes on two cores cannot afford) while the caller runs the
/// first. A second call the thread has not started by then costs nothing: the caller runs it itself.
/// </summary>
internal static class Overlapped
{
    private static readonly object Gate = new();
    private static readonly Queue<Call> Pending = new();
    private static Thread? s_worker;

    /// <summary>Runs both and returns once both are done; the first failure is thrown.</summary>
    public static void Run(Action first, Action second)
    {
        var call = new Call(second);
        lock (Gate)
        {
            Pending.Enqueue(call);
            if (s_worker is null)
            {
                s_worker = new Thread(Work) { IsBackground = true, Name = "AgentLocks syncs" };
                s_worker.Start();
            }

            Monitor.Pulse(Gate);
        }

        ExceptionDispatchInfo? failed = null;
        try
        {
            first();
        }
        catch (Exception e)
        {
            failed = ExceptionDispatchInfo.Capture(e);
        }

        call.RunOrWait();
        (failed ?? call.Failed)?.Throw();
    }

    private static void Work()
    {
        while (true)
        {
            Call call;
            lock (Gate)
            {
                while (Pending.Count == 0)
                {
                    Monitor.Wait(Gate);
                }

                call = Pending.Dequeue();
            }

            call.RunIfUnclaimed();
        }
    }

    private sealed class Call(Action action)
    {
        private readonly object _gate = new();
        private int _claimed;
        private bool _finished;

        public ExceptionDispatchInfo? Failed { get; private set; }

        public void RunIfUnclaimed()
        {
            if (Interlocked.Exchange(ref _claimed, 1) == 0)
            {
                Run();
                lock (_gate)
                {
                    _finished = true;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        public void RunOrWait()
        {
            if (Interlocked.Exchange(ref _claimed, 1) == 0)
            {
                Run();
                return;
            }

            lock (_gate)
            {
                while (!_finished)
                {
                    Monitor.Wait(_gate);
                }
            }
        }

        private void Run()
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                Failed = ExceptionDispatchInfo.Capture(e);
            }
        }
    }
}
