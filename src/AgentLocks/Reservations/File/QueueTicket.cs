using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// Arrival order among the AgentLocks processes waiting for one store mutex (<see cref="StoreMutex"/>). Each caller
/// draws the next number from a counter at the start of <c>&lt;mutex&gt;.queue</c> (read and written under a lock
/// on its bytes), holds a lock on the byte of the file that stands for its number until it lets go of the mutex, and
/// waits for the byte of the number before to be free. So one release wakes exactly one waiter (no herd of woken
/// processes racing for the mutex), waiters go in the order they came, and a process that has just let go queues
/// behind everyone already waiting instead of being first again while they are still being scheduled.
/// <para>
/// The locks are open-file-description locks (<c>F_OFD_SETLK</c>), which the kernel drops when their holder dies: a
/// killed process never wedges the line. Only the order depends on this file, never the mutex's safety: a number
/// whose holder died before locking its byte, or a file that cannot be used (a symbolic link or anything but a
/// regular file in its place, which is left as it is), only sends callers on to the mutex's own queue unordered.
/// </para>
/// </summary>
internal sealed class QueueTicket : IDisposable
{
    private const long CounterLength = sizeof(long);

    /// <summary>Numbers share a byte this far apart; more waiters than this at once only wait longer.</summary>
    private const long Places = 1 << 20;

    private readonly SafeFileHandle? _place;

    private QueueTicket(SafeFileHandle? place) => _place = place;

    /// <summary>Test seam: runs once a caller has its number (and holds its byte), before it waits; given the file and the number.</summary>
    internal static Action<string, long>? InLine { get; set; }

    /// <summary>
    /// Draws a number and waits until every earlier number's holder has let go of the mutex; null when that takes
    /// longer than <paramref name="timeout"/>.
    /// </summary>
    public static async Task<QueueTicket?> TakeAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var place = Native.OpenNoFollow(path, write: true, create: true, out _);
        if (place is null || !Native.Stat(place).IsRegular)
        {
            place?.Dispose();
            return new QueueTicket(null);
        }

        try
        {
            var number = Draw(place);
            if (!Native.LockRange(place, Offset(number), 1, wait: false))
            {
                place.Dispose(); // a waiter Places numbers back still holds the byte: go on without a place
                return new QueueTicket(null);
            }

            var ticket = new QueueTicket(place);
            InLine?.Invoke(path, number);
            if (number > 0 && !await WaitForAsync(path, place, Offset(number - 1), timeout, cancellationToken).ConfigureAwait(false))
            {
                ticket.Dispose();
                return null;
            }

            return ticket;
        }
        catch
        {
            place.Dispose();
            throw;
        }
    }

    /// <summary>Lets the next number go.</summary>
    public void Dispose() => _place?.Dispose();

    private static long Offset(long number) => CounterLength + (number % Places);

    /// <summary>The counter's value, which goes up by one.</summary>
    private static long Draw(SafeFileHandle file)
    {
        Native.LockRange(file, 0, CounterLength, wait: true); // held for a read and a write
        try
        {
            Span<byte> counter = stackalloc byte[(int)CounterLength];
            var number = RandomAccess.Read(file, counter, 0) == CounterLength ? Math.Max(BinaryPrimitives.ReadInt64LittleEndian(counter), 0) : 0;
            BinaryPrimitives.WriteInt64LittleEndian(counter, number + 1);
            RandomAccess.Write(file, counter, 0);
            return number;
        }
        finally
        {
            Native.UnlockRange(file, 0, CounterLength);
        }
    }

    /// <summary>Waits for the byte at <paramref name="offset"/> to be free: the number before has let go, or never took it.</summary>
    private static async Task<bool> WaitForAsync(string path, SafeFileHandle place, long offset, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Our own file description never conflicts with itself, so it can look without waiting.
        if (Native.LockRange(place, offset, 1, wait: false))
        {
            Native.UnlockRange(place, offset, 1);
            return true;
        }

        var waiter = Native.OpenNoFollow(path, write: true, create: false, out _);
        if (waiter is null)
        {
            return true; // the file is gone: nobody can be waited for
        }

        if (!await BlockingLock.TakeAsync(waiter, handle => Native.LockRange(handle, offset, 1, wait: true), timeout, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        waiter.Dispose();
        return true;
    }
}
