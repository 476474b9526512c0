using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace AgentLocks;

/// <summary>
/// The <c>active.json</c> this store last read or wrote, so that an operation parses and serializes only what changed
/// instead of all of a file that may hold a thousand reservations.
/// <para>
/// Keyed by the file's bytes themselves, not by its <c>statx</c> identity: re-reading a 400 KB file from the page cache
/// and comparing it costs about a tenth of a millisecond, and no timestamp granularity (file times move in coarse
/// clock ticks), in-place edit or restored copy can fool it. A file that differs (another process wrote it) is read
/// against the previous version in order: where the text of the reservation expected next starts, the reader skips
/// it (a comparison of its bytes, no parse); any other reservation is cut out, looked for a little further on in the
/// previous version, and read only if it is not there. So a file another process rewrote with reservations added,
/// removed or changed costs a read of each new or changed one, not a scan of the whole file (one moved far from its
/// place is read again too). The writer likewise reuses the text of every
/// reservation it wrote or read unchanged and serializes only new or changed ones.
/// </para>
/// Used only under the store mutex, so never by two operations at once.
/// </summary>
internal sealed class ActiveFileCache
{
    /// <summary>The last version's bytes, and a buffer for the next one (the two swap: a version costs no new 400 KB array, and no garbage).</summary>
    private ArrayBufferWriter<byte> _last = new(), _next = new();

    private ActiveFile? _file;

    /// <summary>Each reservation's text in the last version, in the order of <see cref="_file"/>'s list.</summary>
    private ReservationText[] _texts = [];

    /// <summary>The document in <paramref name="file"/> (<paramref name="length"/> bytes long), parsed only where it differs from the last version.</summary>
    /// <exception cref="System.Text.Json.JsonException">It is not an active file.</exception>
    public ActiveFile Read(SafeFileHandle file, long length)
    {
        _next.ResetWrittenCount();
        _next.Advance(StoreFiles.ReadFromStart(file, _next.GetSpan((int)length)[..(int)length]));
        return ReadNext();
    }

    /// <summary>The document in <paramref name="json"/>, parsed only where it differs from the last version.</summary>
    /// <exception cref="System.Text.Json.JsonException">It is not an active file.</exception>
    public ActiveFile Read(ReadOnlySpan<byte> json)
    {
        _next.ResetWrittenCount();
        _next.Write(json);
        return ReadNext();
    }

    /// <summary>
    /// The bytes of <paramref name="file"/>, serializing only reservations whose text is not known yet; remembered as
    /// the last version. They stay valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> Write(ActiveFile file)
    {
        // By reference, in order: records are immutable, and the ledger keeps the instances (and the order) of the
        // reservations it did not change. Only texts this store wrote are reused: another writer's may be laid out
        // otherwise, and ours follow one layout.
        var previous = new PreviousVersion(_file?.Reservations ?? [], _texts);
        var texts = file.Reservations.Select(r => new ReservationText(previous.OursOf(r) ?? ActiveFile.Text(r), Ours: true)).ToArray();
        _next.ResetWrittenCount();
        file.WriteTo(_next, [.. texts.Select(t => t.Bytes)]);

        // Should the write fail, the file's bytes differ from these and the next read parses what is there.
        Remember(file, texts);
        return _last.WrittenSpan;
    }

    private ActiveFile ReadNext()
    {
        var json = _next.WrittenSpan;
        if (_file is not null && json.SequenceEqual(_last.WrittenSpan))
        {
            return _file;
        }

        var previous = new PreviousVersion(_file?.Reservations ?? [], _texts);
        var file = ActiveFile.Read(json, previous);
        Remember(file, [.. previous.Texts]);
        return file;
    }

    /// <summary>The version in <see cref="_next"/> becomes the last.</summary>
    private void Remember(ActiveFile file, ReservationText[] texts)
    {
        (_last, _next) = (_next, _last);
        _file = file; // shared with callers, who only read it (the ledger copies the list)
        _texts = texts;
    }

    /// <summary>The last version's reservations, offered in their order to the reader of a new version, or to the writer of one.</summary>
    private sealed class PreviousVersion(List<Reservation> reservations, ReservationText[] texts) : IReservationTexts
    {
        /// <summary>
        /// How far past the expected one a reservation's text is looked for (a text's first bytes tell most apart, so
        /// each look costs a few nanoseconds). One moved further is read again; one that is new is read anyway.
        /// </summary>
        private const int LookAhead = 64;

        /// <summary>The previous version's reservation that comes next if nothing changed here.</summary>
        private int _next;

        /// <summary>The new version's texts, in its order.</summary>
        public List<ReservationText> Texts { get; } = new(texts.Length + 1);

        public Reservation? Known(ReadOnlySpan<byte> rest, out int length)
        {
            length = 0;
            if (_next >= texts.Length || !rest.StartsWith(texts[_next].Bytes))
            {
                return null;
            }

            length = texts[_next].Bytes.Length;
            return Take(_next);
        }

        public Reservation Read(ReadOnlySpan<byte> text)
        {
            // Not the one expected here: one was added, changed or removed before it. Found further on, reading goes on from there.
            for (var i = _next; i < Math.Min(texts.Length, _next + LookAhead); i++)
            {
                if (text.SequenceEqual(texts[i].Bytes))
                {
                    return Take(i);
                }
            }

            Texts.Add(new ReservationText(text.ToArray(), Ours: false));
            return ActiveFile.Reservation(text);
        }

        /// <summary>This store's text of <paramref name="reservation"/> (the very instance) if the previous version has it, looked for from where the last one was found.</summary>
        public byte[]? OursOf(Reservation reservation)
        {
            for (var i = _next; i < Math.Min(texts.Length, _next + LookAhead); i++)
            {
                if (ReferenceEquals(reservations[i], reservation))
                {
                    _next = i + 1;
                    return texts[i].Ours ? texts[i].Bytes : null;
                }
            }

            return null;
        }

        private Reservation Take(int index)
        {
            Texts.Add(texts[index]);
            _next = index + 1;
            return reservations[index];
        }
    }

    /// <summary>A reservation's text in a version of the file, and whether this store wrote it (so it is laid out as the store lays it out).</summary>
    private readonly record struct ReservationText(byte[] Bytes, bool Ours);
}
