namespace AgentLocks;

/// <summary>
/// The <c>active.json</c> this store last read or wrote, so that an operation parses and serializes only what changed
/// instead of all of a file that may hold a thousand reservations.
/// <para>
/// Keyed by the file's bytes themselves, not by its <c>statx</c> identity: re-reading a 400 KB file from the page cache
/// and comparing it costs about a tenth of a millisecond, and no timestamp granularity (file times move in coarse
/// clock ticks), in-place edit or restored copy can fool it. A file that differs is read reservation by reservation:
/// the text of each one (its <c>{...}</c>, exactly as in the file) is looked up among those of the previous version,
/// so a file another process rewrote with one reservation changed costs one reservation's parse. The writer likewise
/// reuses the text of every reservation it wrote or read unchanged and serializes only new or changed ones.
/// </para>
/// Used only under the store mutex, so never by two operations at once.
/// </summary>
internal sealed class ActiveFileCache
{
    private byte[] _bytes = [];
    private ActiveFile? _file;

    /// <summary>Each reservation of the last version by its text in the file; after our own write, made from <see cref="_textOf"/> when first needed (another writer changed the file).</summary>
    private Dictionary<byte[], Reservation>? _byText;

    /// <summary>Our own text of each reservation of the last version we wrote (by reference: records are immutable).</summary>
    private Dictionary<Reservation, byte[]> _textOf = new(ReferenceEqualityComparer.Instance);

    /// <summary>The document in <paramref name="json"/>, parsed only where it differs from the last version.</summary>
    /// <exception cref="System.Text.Json.JsonException">It is not an active file.</exception>
    public ActiveFile Read(ReadOnlySpan<byte> json)
    {
        if (_file is not null && json.SequenceEqual(_bytes))
        {
            return _file;
        }

        var known = _byText ?? ByText(_textOf);
        Dictionary<byte[], Reservation> byText = new(TextComparer.Instance);
        Dictionary<Reservation, byte[]> textOf = new(ReferenceEqualityComparer.Instance);
        var file = ActiveFile.Read(json, text =>
        {
            var copy = text.ToArray();
            if (!known.TryGetValue(copy, out var reservation))
            {
                reservation = ActiveFile.Reservation(text);
            }
            else if (_textOf.TryGetValue(reservation, out var ours))
            {
                textOf[reservation] = ours;
            }

            byText.TryAdd(copy, reservation);
            return reservation;
        });
        Remember(json.ToArray(), file, byText, textOf);
        return file;
    }

    /// <summary>The bytes of <paramref name="file"/>, serializing only reservations whose text is not known yet; remembered as the last version.</summary>
    public byte[] Write(ActiveFile file)
    {
        Dictionary<Reservation, byte[]> textOf = new(ReferenceEqualityComparer.Instance);
        var bytes = file.ToBytes(_bytes.Length, reservation =>
        {
            if (!textOf.TryGetValue(reservation, out var text))
            {
                textOf[reservation] = text = _textOf.TryGetValue(reservation, out var known) ? known : ActiveFile.Text(reservation);
            }

            return text;
        });

        // Should the write fail, the file's bytes differ from these and the next read parses what is there.
        Remember(bytes, file, byText: null, textOf);
        return bytes;
    }

    private static Dictionary<byte[], Reservation> ByText(Dictionary<Reservation, byte[]> textOf)
    {
        Dictionary<byte[], Reservation> byText = new(textOf.Count, TextComparer.Instance);
        foreach (var (reservation, text) in textOf)
        {
            byText.TryAdd(text, reservation);
        }

        return byText;
    }

    private void Remember(byte[] bytes, ActiveFile file, Dictionary<byte[], Reservation>? byText, Dictionary<Reservation, byte[]> textOf)
    {
        _bytes = bytes;
        _file = file; // shared with callers, who only read it (the ledger copies the list)
        _byText = byText;
        _textOf = textOf;
    }

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
