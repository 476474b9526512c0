using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

// beadboard's reservation writer as it behaves (shared design notes, "beadboard and gastown as they behave today"),
// for fault tests beside AgentLocks. It follows beadboard's protocol exactly and knows nothing of AgentLocks:
// - mutex: create reservations/.lock exclusively (O_EXCL), content = PID as decimal text, no OS lock, no guard or
//   queue; on EEXIST sleep 50 ms and retry, 100 attempts, then "Failed to acquire lock after maximum attempts";
//   unlock by unlinking the file only if its content is still our PID; a stale lock is never removed;
// - active.json = JSON.stringify({reservations}, null, 2) + "\n", written to active.json.tmp-<pid>-<ms>, renamed; no fsync;
//   other top-level fields are dropped, each reservation object is kept as read;
// - one history line (the ended reservation, compact JSON) appended per release; no fsync;
// - conflicts by exact match of the scope string only, with an active owner and an unexpired reservation.
//
// Commands (exit 0 done, 3 conflict, 4 mutex timeout, 2 usage):
//   reserve ROOT AGENT SCOPE BEAD [TTL_MINUTES]   prints "granted ID" or "conflict"
//   release ROOT AGENT SCOPE                      prints "released ID" or "not-found"
//   loop ROOT AGENT SCOPE BEAD ROUNDS             reserve+release ROUNDS times; prints "done granted=G conflicts=C timeouts=T lost=L"
//                                                 (lost: a release that found its own granted reservation gone)
//   hold ROOT                                     takes the mutex, prints "holding", releases after a line on stdin:
//                                                 prints "released", or "lost" when .lock no longer holds its PID
var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
return args switch
{
    ["reserve", var root, var agent, var scope, var bead, .. var rest] => Report(WithMutex(root, () => Reserve(root, agent, scope, bead, rest.Length > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 120))),
    ["release", var root, var agent, var scope] => Report(WithMutex(root, () => Release(root, agent, scope))),
    ["loop", var root, var agent, var scope, var bead, var rounds] => Loop(root, agent, scope, bead, int.Parse(rounds, CultureInfo.InvariantCulture)),
    ["hold", var root] => Hold(root),
    _ => Usage(),
};

int Usage()
{
    Console.Error.WriteLine("usage: reserve ROOT AGENT SCOPE BEAD [TTL] | release ROOT AGENT SCOPE | loop ROOT AGENT SCOPE BEAD ROUNDS | hold ROOT");
    return 2;
}

int Report((int Code, string Text) result)
{
    Console.WriteLine(result.Text);
    return result.Code;
}

int Loop(string root, string agent, string scope, string bead, int rounds)
{
    int granted = 0, conflicts = 0, timeouts = 0, lost = 0;
    for (var i = 0; i < rounds; i++)
    {
        var reserved = WithMutex(root, () => Reserve(root, agent, scope, bead, 5));
        if (reserved.Code == 4)
        {
            timeouts++;
            continue;
        }

        if (reserved.Code == 3)
        {
            conflicts++;
            continue;
        }

        granted++;
        var released = WithMutex(root, () => Release(root, agent, scope));
        timeouts += released.Code == 4 ? 1 : 0;
        lost += released.Text == "not-found" ? 1 : 0;
    }

    Console.WriteLine($"done granted={granted} conflicts={conflicts} timeouts={timeouts} lost={lost}");
    return 0;
}

int Hold(string root)
{
    if (!Acquire(root))
    {
        Console.WriteLine("timeout");
        return 4;
    }

    Console.WriteLine("holding");
    Console.ReadLine();
    Console.WriteLine(Unlock(root) ? "released" : "lost");
    return 0;
}

(int Code, string Text) WithMutex(string root, Func<(int, string)> body)
{
    if (!Acquire(root))
    {
        return (4, "Failed to acquire lock after maximum attempts");
    }

    try
    {
        return body();
    }
    finally
    {
        Unlock(root);
    }
}

bool Acquire(string root)
{
    var directory = Path.Combine(root, "reservations");
    Directory.CreateDirectory(directory);
    var lockPath = Path.Combine(directory, ".lock");
    for (var attempt = 0; attempt < 100; attempt++)
    {
        try
        {
            using var file = new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write);
            file.Write(Encoding.UTF8.GetBytes(pid));
            return true;
        }
        catch (IOException e) when (e is not DirectoryNotFoundException)
        {
            // EEXIST: held (beadboard retries on that code only; the file may be gone again by now).
            Thread.Sleep(50);
        }
    }

    return false;
}

// Unlinks .lock only if it still holds our PID; true when it did.
bool Unlock(string root)
{
    var lockPath = Path.Combine(root, "reservations", ".lock");
    try
    {
        if (File.ReadAllText(lockPath).Trim() == pid)
        {
            File.Delete(lockPath);
            return true;
        }
    }
    catch (FileNotFoundException)
    {
    }

    return false;
}

(int, string) Reserve(string root, string agent, string scope, string bead, int ttlMinutes)
{
    var reservations = ReadActive(root);
    var now = DateTimeOffset.UtcNow;
    foreach (var node in reservations)
    {
        var r = node!.AsObject();
        if ((string?)r["scope"] == scope && (string?)r["state"] == "active" && (string?)r["agent_id"] != agent
            && DateTimeOffset.Parse((string)r["expires_at"]!, CultureInfo.InvariantCulture) > now && OwnerIsActive(root, (string)r["agent_id"]!, now))
        {
            return (3, "conflict");
        }
    }

    var id = $"res_{Iso(now)}_{Random.Shared.Next(0x10000):x4}";
    reservations.Add(new JsonObject
    {
        ["reservation_id"] = id,
        ["scope"] = scope,
        ["agent_id"] = agent,
        ["bead_id"] = bead,
        ["state"] = "active",
        ["created_at"] = Iso(now),
        ["expires_at"] = Iso(now.AddMinutes(ttlMinutes)),
        ["released_at"] = null,
    });
    WriteActive(root, reservations);
    return (0, "granted " + id);
}

(int, string) Release(string root, string agent, string scope)
{
    var reservations = ReadActive(root);
    var mine = reservations.Select(n => n!.AsObject()).FirstOrDefault(r => (string?)r["scope"] == scope && (string?)r["agent_id"] == agent && (string?)r["state"] == "active");
    if (mine is null)
    {
        return (0, "not-found");
    }

    reservations.Remove(mine);
    var ended = mine.DeepClone().AsObject();
    ended["state"] = "released";
    ended["released_at"] = Iso(DateTimeOffset.UtcNow);
    WriteActive(root, reservations);
    File.AppendAllText(Path.Combine(root, "reservations", "history.jsonl"), ended.ToJsonString() + "\n");
    return (0, "released " + (string?)mine["reservation_id"]);
}

// beadboard's liveness: an owner last seen under 15 minutes ago is active; an owner without a record counts as active here.
bool OwnerIsActive(string root, string owner, DateTimeOffset now)
{
    var path = Path.Combine(root, "agents", owner + ".json");
    try
    {
        var seen = (string?)JsonNode.Parse(File.ReadAllText(path))?["last_seen_at"];
        return seen is null || now - DateTimeOffset.Parse(seen, CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(15);
    }
    catch (FileNotFoundException)
    {
        return true;
    }
}

JsonArray ReadActive(string root)
{
    var path = Path.Combine(root, "reservations", "active.json");
    if (!File.Exists(path))
    {
        return [];
    }

    var document = JsonNode.Parse(File.ReadAllText(path));
    return document is JsonArray list ? list : (JsonArray?)document?["reservations"]?.DeepClone() ?? [];
}

void WriteActive(string root, JsonArray reservations)
{
    var path = Path.Combine(root, "reservations", "active.json");
    var temp = $"{path}.tmp-{pid}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}";
    var text = new JsonObject { ["reservations"] = reservations.DeepClone() }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    File.WriteAllText(temp, text);
    File.Move(temp, path, overwrite: true);
}

static string Iso(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
