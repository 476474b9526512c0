namespace AgentLocks;

/// <summary>
/// The <c>active.json</c> this store last read or wrote, so that an operation parses and serializes only what changed
/// instead of all of a file that may hold a thousand reservations.
/// <para>
/// Keyed by the file's bytes themselves, not by its <c>statx</c> identity: re-reading a 400 KB file from the page cache
/// and comparing it costs about a tenth of a millisecond, and no timestamp granularity (file times move in coarse
/// clock ticks), in-place edit or restored copy can fool it. A file that differs (another process wrote it) is read
/// against the previous version in order: where the text of the reservation expected next starts, the reader skips
/// it (a comparison of its bytes, no parse); any other reservation is cut out, looked up among the previous version's
/// texts, and read only if it is new. So a file another process rewrote with one reservation added, removed or changed
/// costs one or two reservations' reads, not a scan of the whole file. The writer likewise reuses the text of every
/// reservation it wrote or read unchanged and serializes only new or changed ones.
/// </para>
/// Used only under the store mutex, so never by two operations at once.
/// </summary>
internal sealed class ActiveFileCache
{
    private byte[] _bytes = [];
    private ActiveFile? _file;

    /// <summary>Each reservation's text in the last version, in the order of <see cref="_file"/>'s list.</summary>
    private ReservationText[] _texts = [];

    /// <summary>The document in <paramref name="json"/>, parsed only where it differs from the last version.</summary>
    /// <exception cref="System.Text.Json.JsonException">It is not an active file.</exception>
    public ActiveFile Read(ReadOnlySpan<byte> json)
    {
        if (_file is not null && json.SequenceEqual(_bytes))
        {
            return _file;
        }

        var previous = new PreviousVersion(_file?.Reservations ?? [], _texts);
        var file = ActiveFile.Read(json, previous);
        Remember(json.ToArray(), file, [.. previous.Texts]);
        return file;
    }

    /// <summary>The bytes of <paramref name="file"/>, serializing only reservations whose text is not known yet; remembered as the last version.</summary>
    public byte[] Write(ActiveFile file)
    {
        // By reference: records are immutable, and the ledger keeps the instances of the reservations it did not change.
        // Only texts this store wrote are reused: another writer's may be laid out otherwise, and ours follow one layout.
        Dictionary<Reservation, byte[]> ours = new(_texts.Length, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < _texts.Length; i++)
        {
            if (_texts[i].Ours)
            {
                ours.TryAdd(_file!.Reservations[i], _texts[i].Bytes);
            }
        }

        var texts = file.Reservations.Select(r => new ReservationText(ours.TryGetValue(r, out var text) ? text : ActiveFile.Text(r), Ours: true)).ToArray();
        var bytes = file.ToBytes(_bytes.Length, [.. texts.Select(t => t.Bytes)]);

        // Should the write fail, the file's bytes differ from these and the next read parses what is there.
        Remember(bytes, file, texts);
        return bytes;
    }

    private void Remember(byte[] bytes, ActiveFile file, ReservationText[] texts)
    {
        _bytes = bytes;
        _file = file; // shared with callers, who only read it (the ledger copies the list)
        _texts = texts;
    }

    /// <summary>The last version's reservations, offered to the reader of a new one in their order.</summary>
    private sealed class PreviousVersion(List<Reservation> reservations, ReservationText[] texts) : IReservationTexts
    {
        /// <summary>How far past the expected one a reservation's text is looked for before the whole version is.</summary>
        private const int LookAhead = 4;

        /// <summary>The previous version's reservation that comes next if nothing changed here.</summary>
        private int _next;

        private Dictionary<byte[], int>? _byText;

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

            var copy = text.ToArray();
            _byText ??= ByText(texts);
            if (_byText.TryGetValue(copy, out var index))
            {
                return Take(index);
            }

            Texts.Add(new ReservationText(copy, Ours: false));
            return ActiveFile.Reservation(text);
        }

        private Reservation Take(int index)
        {
            Texts.Add(texts[index]);
            _next = index + 1;
            return reservations[index];
        }

        private static Dictionary<byte[], int> ByText(ReservationText[] texts)
        {
            Dictionary<byte[], int> byText = new(texts.Length, TextComparer.Instance);
            for (var i = 0; i < texts.Length; i++)
            {
                byText.TryAdd(texts[i].Bytes, i);
            }

            return byText;
        }
    }

    /// <summary>A reservation's text in a version of the file, and whether this store wrote it (so it is laid out as the store lays it out).</summary>
    private readonly record struct ReservationText(byte[] Bytes, bool Ours);

    /// <summary>Byte texts compared by content.</summary>
    private sealed class TextComparer : IEqualityComparer<byte[]>
    {
        public static readonly TextComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
