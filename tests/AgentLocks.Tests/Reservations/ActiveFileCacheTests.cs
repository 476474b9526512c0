using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace AgentLocks.Tests.Reservations;

/// <summary>The file store's cache of active.json and its writer: only what changed is parsed or serialized, and nothing stale is ever read.</summary>
public sealed class ActiveFileCacheTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 19, 0, 0, TimeSpan.Zero);
    private readonly TempRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void The_writer_gives_what_a_json_writer_gives_for_the_whole_document()
    {
        var plain = Sample("src/a/**", 1);
        var extras = Sample("src/b/**", 2) with
        {
            Reason = "refactoring \"auth\"\nline two",
            Extra = ActiveFile.Read("""{"reservations":[{"reservation_id":"r1","scope":"s","agent_id":"agent-a","bead_id":"b","state":"active","created_at":"2026-01-01T00:00:00.000Z","expires_at":"2026-01-01T00:00:00.000Z","ui":{"pinned":true,"tags":["x"]}}]}"""u8).Reservations[0].Extra,
        };
        foreach (var file in new[]
        {
            new ActiveFile { Reservations = [plain, extras, plain with { FencingToken = null }], LastFencingToken = 7, HistorySize = 1234 },
            new ActiveFile { Reservations = [], LastFencingToken = 3 },
            new ActiveFile { Reservations = [plain] },
        })
        {
            Assert.Equal(Encoding.UTF8.GetString(WholeDocument(file)), Encoding.UTF8.GetString(file.ToBytes()));
            Assert.Equal(Encoding.UTF8.GetString(file.ToBytes()), Encoding.UTF8.GetString(new ActiveFileCache().Write(file).ToArray()));
        }
    }

    [Fact]
    public void A_version_read_again_is_not_parsed_again_and_one_the_store_wrote_is_not_parsed_at_all()
    {
        var cache = new ActiveFileCache();
        var written = cache.Write(new ActiveFile { Reservations = [Sample("src/a/**", 1), Sample("src/b/**", 2)], LastFencingToken = 2 }).ToArray();
        var first = cache.Read(written);
        Assert.Same(first, cache.Read([.. written]));
        Assert.Equal(["src/a/**", "src/b/**"], first.Reservations.Select(r => r.Scope.Value));
    }

    [Fact]
    public void A_version_another_writer_changed_is_read_anew_and_its_unchanged_reservations_are_reused()
    {
        var cache = new ActiveFileCache();
        var (a, b) = (Sample("src/a/**", 1), Sample("src/b/**", 2));
        var written = cache.Write(new ActiveFile { Reservations = [a, b], LastFencingToken = 2 }).ToArray();

        // Another writer changes one byte of b's scope: same size, read in the same clock tick.
        var changed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(written).Replace("src/b/**", "src/c/**", StringComparison.Ordinal));
        Assert.Equal(written.Length, changed.Length);
        var read = cache.Read(changed);
        Assert.Same(a, read.Reservations[0]);
        Assert.Equal("src/c/**", read.Reservations[1].Scope.Value);
        Assert.Equal(b with { Scope = ScopePattern.Parse("src/c/**") }, read.Reservations[1]);

        // Written again, it is what a writer without the cache would write.
        var next = read with { Reservations = [.. read.Reservations, Sample("src/d/**", 3)] };
        Assert.Equal(next.ToBytes(), cache.Write(next).ToArray());
    }

    [Fact]
    public void Whatever_another_writer_changes_reads_as_a_whole_parse_reads_it_reusing_what_is_unchanged()
    {
        // Each step edits the list (insert, remove, renew, move; kinds 0 to 3) and has another writer write it; every
        // third step this store writes it itself. Another writer's file is sometimes compact, so no text is known.
        var pool = Enumerable.Range(0, 24).Select(i => Sample($"src/m{i}/**", i + 1)).ToArray();
        var step = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 40], Gen.Int[0, pool.Length - 1], Gen.Int[0, 9]);
        Gen.Select(Gen.Int[0, pool.Length - 1].Array[0, 12], step.Array[1, 20]).Sample((start, steps) =>
        {
            var cache = new ActiveFileCache();
            List<Reservation> list = [.. start.Distinct().Select(i => pool[i])]; // ids are unique in a store's file
            var previous = cache.Read(new ActiveFile { Reservations = list, LastFencingToken = 1 }.ToBytes());
            var previousCompact = false;
            for (var n = 0; n < steps.Length; n++)
            {
                var (kind, at, item, format) = steps[n];
                list = [.. previous.Reservations];
                switch (kind)
                {
                    case 0 when list.All(r => r.Id != pool[item].Id):
                        list.Insert(at % (list.Count + 1), pool[item]);
                        break;
                    case 1 when list.Count > 0:
                        list.RemoveAt(at % list.Count);
                        break;
                    case 2 when list.Count > 0:
                        list[at % list.Count] = list[at % list.Count] with { ExpiresAt = Now.AddHours(at) };
                        break;
                    case 3 when list.Count > 0:
                        var moved = list[at % list.Count];
                        list.RemoveAt(at % list.Count);
                        list.Insert(item % (list.Count + 1), moved);
                        break;
                }

                var file = new ActiveFile { Reservations = list, LastFencingToken = n + 2, HistorySize = n * 100 };
                if (n % 3 == 2)
                {
                    Assert.Equal(file.ToBytes(), cache.Write(file).ToArray());
                    (previous, previousCompact) = (file, false);
                    continue;
                }

                var bytes = format == 0 ? Compact(file) : file.ToBytes();
                var read = cache.Read(bytes);
                var parsed = ActiveFile.Read(bytes);
                Assert.Equal(parsed.Reservations, read.Reservations);
                Assert.Equal((parsed.LastFencingToken, parsed.HistorySize), (read.LastFencingToken, read.HistorySize));
                foreach (var reservation in read.Reservations.Where(r => kind != 3 && (format == 0) == previousCompact && previous.Reservations.Contains(r)))
                {
                    // Unchanged since the previous version, in the same layout and order: one of its instances, not read again.
                    Assert.Contains(previous.Reservations, p => ReferenceEquals(p, reservation));
                }

                (previous, previousCompact) = (read, format == 0);
            }
        }, iter: 2_000);
    }

    [Fact]
    public void A_version_damaged_between_or_after_known_reservations_is_refused()
    {
        var cache = new ActiveFileCache();
        var written = Encoding.UTF8.GetString(cache.Write(new ActiveFile { Reservations = [Sample("src/a/**", 1), Sample("src/b/**", 2), Sample("src/c/**", 3)], LastFencingToken = 3 }).ToArray());
        foreach (var damaged in new[]
        {
            written.Replace("},\n    {", "}\n    {", StringComparison.Ordinal), // no comma between two known ones
            written.Replace("},\n    {", "},,\n    {", StringComparison.Ordinal),
            ReplaceLast(written, "},\n    {", "}\n    {"), // only between the second and third, both known
            ReplaceLast(written, "},\n    {", "}, x\n    {"),
            written.Replace("}\n  ]", "},\n  ]", StringComparison.Ordinal), // a comma after the last one
            written.Replace("}\n  ]", "} x\n  ]", StringComparison.Ordinal),
            written.Replace("}\n  ]", "}", StringComparison.Ordinal), // the list never ends
        })
        {
            Assert.NotEqual(written, damaged);
            Assert.ThrowsAny<JsonException>(() => cache.Read(Encoding.UTF8.GetBytes(damaged)));
        }

        static string ReplaceLast(string text, string what, string with)
            => text.LastIndexOf(what, StringComparison.Ordinal) is var at and >= 0 ? string.Concat(text.AsSpan(0, at), with, text.AsSpan(at + what.Length)) : text;
    }

    [Fact]
    public async Task A_store_sees_a_same_size_rewrite_in_place_that_follows_its_own_write()
    {
        var (a, b) = (AgentId.Parse("agent-a"), AgentId.Parse("agent-b"));
        var store = new FileReservationStore(_root.Path);
        foreach (var agent in new[] { a, b })
        {
            await store.RegisterAgentAsync(agent);
        }

        LeftHeld.OnPurpose(await store.ReserveAsync(new ReservationRequest(a, ScopePattern.Parse("src/aaaa/**"), BeadId.Parse("bd-1"))));

        // In place: same inode, same size, within the file system's timestamp tick (a statx key could not tell).
        var path = _root.File("reservations", "active.json");
        var text = await File.ReadAllTextAsync(path);
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(text.Replace("src/aaaa/**", "src/bbbb/**", StringComparison.Ordinal)));
        }

        var result = await store.TryReserveAsync(new ReservationRequest(b, ScopePattern.Parse("src/bbbb/x.cs"), BeadId.Parse("bd-2")));
        await using var unexpected = result.Handle; // released if the store wrongly granted it
        Assert.Equal(ErrorCode.ReservationConflict, result.Error?.Code);
        Assert.Equal("src/bbbb/**", Assert.Single((await store.GetStatusAsync()).Reservations).Scope.Value);
    }

    [Fact]
    public void A_damaged_version_after_a_good_one_is_refused()
    {
        var cache = new ActiveFileCache();
        var written = cache.Write(new ActiveFile { Reservations = [Sample("src/a/**", 1)], LastFencingToken = 1 }).ToArray();
        Assert.ThrowsAny<JsonException>(() => cache.Read(written.AsSpan(0, written.Length - 3)));
        Assert.ThrowsAny<JsonException>(() => cache.Read([.. written, .. "{}"u8]));
    }

    private static Reservation Sample(string scope, long token) => new()
    {
        Id = ReservationId.Parse($"res_20261123_185327.347Z_000{token}"),
        Scope = ScopePattern.Parse(scope),
        AgentId = AgentId.Parse("agent-a"),
        BeadId = BeadId.Parse("bd-1"),
        State = ReservationState.Active,
        CreatedAt = Now,
        ExpiresAt = Now.AddMinutes(30),
        FencingToken = new FencingToken(token),
    };

    /// <summary>The document without indentation, as another tool might write it: no reservation's text is one this store wrote.</summary>
    private static byte[] Compact(ActiveFile file)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("reservations");
            foreach (var reservation in file.Reservations)
            {
                ReservationJson.Write(writer, reservation);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The document as one indented JSON writer writes it (how the store wrote it before it kept each reservation's text).</summary>
    private static byte[] WholeDocument(ActiveFile file)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("reservations");
            foreach (var reservation in file.Reservations)
            {
                ReservationJson.Write(writer, reservation);
            }

            writer.WriteEndArray();
            if (file.LastFencingToken is { } last)
            {
                writer.WriteNumber("agentlocks_last_fencing_token", last);
            }

            if (file.HistorySize is { } size)
            {
                writer.WriteNumber("agentlocks_history_size", size);
            }

            writer.WriteEndObject();
        }

        return [.. buffer.WrittenSpan, (byte)'\n'];
    }
}
