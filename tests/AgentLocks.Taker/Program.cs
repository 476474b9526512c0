// A small program the cross-process tests start, hold and kill (as DistributedLock's lock taker).
// Each area adds its commands in its own file; the protocol is lines on stdout ("acquired", "refused CODE", ...).
using AgentLocks.Taker;

return args switch
{
    ["lock", .. var rest] => await LockTaker.RunAsync(rest),
    ["reserve", .. var rest] => await ReservationTaker.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: AgentLocks.Taker lock|reserve ...");
    return 2;
}
