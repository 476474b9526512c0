using System.Buffers.Binary;
using System.Diagnostics;
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

    /// <summary>Where the line's bytes end; the file's bytes from here on are free for other marks (<see cref="UnsyncedCommit"/>).</summary>
    public const long End = CounterLength + Places;

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
        var started = Stopwatch.GetTimestamp();
        var place = Native.OpenNoFollow(path, write: true, create: true, out _);
        if (place is null || !Native.Stat(place).IsRegular)
        {
            place?.Dispose();
            return new QueueTicket(null);
        }

        try
        {
            if (await DrawAsync(path, place, timeout, cancellationToken).ConfigureAwait(false) is not { } number)
            {
                place.Dispose();
                return null;
            }

            if (number < 0 || !Native.LockRange(place, Offset(number), 1, wait: false))
            {
                place.Dispose(); // the file is gone, or a waiter Places numbers back still holds the byte: go on without a place
                return new QueueTicket(null);
            }

            var ticket = new QueueTicket(place);
            InLine?.Invoke(path, number);
            if (number > 0)
            {
                if (await LockAsync(path, place, Offset(number - 1), 1, BlockingLock.Left(started, timeout), cancellationToken).ConfigureAwait(false) is not { } before)
                {
                    ticket.Dispose();
                    return null;
                }

                Unlock(place, before, Offset(number - 1), 1); // the number before has let go, or never took its byte
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

    /// <summary>The counter's value, which goes up by one; -1 when the file is gone; null at the deadline.</summary>
    private static async Task<long?> DrawAsync(string path, SafeFileHandle file, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Held for a read and a write; a caller stopped (SIGSTOP) in between holds up the others only until their deadline.
        if (await LockAsync(path, file, 0, CounterLength, timeout, cancellationToken).ConfigureAwait(false) is not { } holder)
        {
            return null;
        }

        if (holder.IsInvalid)
        {
            return -1;
        }

        try
        {
            Span<byte> counter = stackalloc byte[(int)CounterLength];
            var number = Native.ReadAt(file, counter, 0) == CounterLength ? Math.Max(BinaryPrimitives.ReadInt64LittleEndian(counter), 0) : 0;
            BinaryPrimitives.WriteInt64LittleEndian(counter, number + 1);
            Native.WriteAt(file, counter, 0);
            return number;
        }
        finally
        {
            Unlock(file, holder, 0, CounterLength);
        }
    }

    /// <summary>
    /// Locks <paramref name="length"/> bytes at <paramref name="offset"/>: through <paramref name="place"/> when they are
    /// free at once (our own file description never conflicts with itself), else through a file description of its
    /// own, waited for on a thread up to the deadline. Returns the description that holds them, an invalid handle when
    /// the file is gone (nobody to wait for), or null at the deadline.
    /// </summary>
    private static async Task<SafeFileHandle?> LockAsync(string path, SafeFileHandle place, long offset, long length, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Native.LockRange(place, offset, length, wait: false))
        {
            return place;
        }

        if (Native.OpenNoFollow(path, write: true, create: false, out _) is not { } other)
        {
            return new SafeFileHandle(-1, ownsHandle: false);
        }

        return await BlockingLock.TakeAsync(other, handle => Native.LockRange(handle, offset, length, wait: true), timeout, cancellationToken).ConfigureAwait(false)
            ? other
            : null;
    }

    /// <summary>Lets go of what <see cref="LockAsync"/> took.</summary>
    private static void Unlock(SafeFileHandle place, SafeFileHandle holder, long offset, long length)
    {
        if (holder == place)
        {
            Native.UnlockRange(place, offset, length);
        }
        else
        {
            holder.Dispose();
        }
    }
}
