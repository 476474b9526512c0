using AgentLocks.Analyzers.Lifetime;
using Microsoft.CodeAnalysis.Testing;
using static AgentLocks.Analyzers.Tests.Verify;

namespace AgentLocks.Analyzers.Tests;

/// <summary>
/// The ownership idioms agent code is written in, each both ways: the correct form is silent, the leaking mirror of
/// the same idiom is reported at its acquisition.
/// </summary>
public sealed class OwnershipIdiomTests
{
    private const string Prelude = """
        using System.Collections.Generic;
        using System.Linq;

        public static class Work
        {
            public static Task DoAsync(CancellationToken ct = default) => Task.CompletedTask;
            public static void Use(ILockHandle handle) { }
            public static void Keep([TakesOwnership] ILockHandle handle) { }
            public static bool Flip() => DateTime.UtcNow.Ticks % 2 == 0;
        }

        /// <summary>Owns the handle it is given and releases it with itself.</summary>
        public sealed class Job : IAsyncDisposable
        {
            private readonly ReservationHandle _handle;

            public Job(ReservationHandle handle) => _handle = handle;

            public ValueTask DisposeAsync() => _handle.DisposeAsync();
        }

        /// <summary>A primary-constructor wrapper that releases its parameter.</summary>
        public sealed class Lease(ILockHandle held, string note) : IAsyncDisposable
        {
            public string Note => note;

            public async ValueTask DisposeAsync() => await held.DisposeAsync().ConfigureAwait(false);
        }

        /// <summary>Keeps the handle in a field and never releases it.</summary>
        public sealed class ForgetfulJob : IAsyncDisposable
        {
            private readonly ReservationHandle _handle;

            public ForgetfulJob(ReservationHandle handle) { _handle = handle; }

            public long Token => _handle.FencingToken.Value;

            public ValueTask DisposeAsync() => default;
        }

        /// <summary>Carries the handle to whoever it is returned to.</summary>
        public sealed record Acquired(ReservationHandle Handle, int Tries);

        """;

    private static Task Check(string body, params DiagnosticResult[] expected) =>
        AnalyzerAsync<HandleLifetimeAnalyzer>(Prelude + body, expected);

    private static string InMethod(string statements) => $$"""
        public class C
        {
            public async Task<object?> RunAsync(IReservationStore store, ReservationRequest request, ReservationRequest[] requests, CancellationToken ct)
            {
        {{statements}}
                return null;
            }
        }
        """;

    // ---- collections ----

    [Theory]
    [InlineData("var held = new List<ReservationHandle>();\ntry\n{\n    foreach (var r in requests) { held.Add(await store.ReserveAsync(r, ct)); }\n    Work.Use(held[0]);\n}\nfinally\n{\n    foreach (var h in held) { await h.DisposeAsync(); }\n}")]
    [InlineData("var held = new List<ILockHandle>();\ntry\n{\n    var one = await store.ReserveAsync(request, ct);\n    held.Add(one);\n}\nfinally\n{\n    await Task.WhenAll(held.Select(h => h.DisposeAsync().AsTask()));\n}")]
    [InlineData("var held = new ReservationHandle[2];\ntry\n{\n    held[0] = await store.ReserveAsync(request, ct);\n    held[1] = await store.ReserveAsync(request, ct);\n}\nfinally\n{\n    foreach (var h in held) { if (h is not null) { await h.DisposeAsync(); } }\n}")]
    [InlineData("var byScope = new Dictionary<string, ReservationHandle>();\ntry\n{\n    byScope[\"a\"] = await store.ReserveAsync(request, ct);\n    byScope.Add(\"b\", await store.ReserveAsync(request, ct));\n}\nfinally\n{\n    foreach (var h in byScope.Values) { await h.DisposeAsync(); }\n}")]
    [InlineData("var byScope = new Dictionary<string, ReservationHandle>();\ntry { byScope.TryAdd(\"a\", await store.ReserveAsync(request, ct)); }\nfinally\n{\n    foreach (var pair in byScope) { await pair.Value.DisposeAsync(); }\n}")]
    [InlineData("var stack = new Stack<ReservationHandle>();\ntry\n{\n    foreach (var r in requests) { stack.Push(await store.ReserveAsync(r, ct)); }\n}\nfinally\n{\n    while (stack.TryPop(out var h)) { await h.DisposeAsync(); }\n}")]
    [InlineData("var queue = new Queue<ReservationHandle>();\ntry\n{\n    queue.Enqueue(await store.ReserveAsync(request, ct));\n}\nfinally\n{\n    while (queue.Count > 0) { await queue.Dequeue().DisposeAsync(); }\n}")]
    [InlineData("var handles = await Task.WhenAll(requests.Select(r => store.ReserveAsync(r, ct)));\ntry { Work.Use(handles[0]); }\nfinally\n{\n    foreach (var h in handles) { await h.DisposeAsync(); }\n}")]
    [InlineData("var handles = await Task.WhenAll(store.ReserveAsync(request, ct), store.ReserveAsync(request, ct));\nreturn handles;")]
    [InlineData("var handles = await Task.WhenAll(requests.Select(r => store.ReserveAsync(r, ct)));\nforeach (var h in handles) { Work.Keep(h); }")]
    [InlineData("var held = new List<ReservationHandle>();\nheld.Add(await store.ReserveAsync(request, ct));\nforeach (var h in held) { await using (h) { Work.Use(h); } }")]
    public Task Collection_drained_in_finally_or_handed_on_is_silent(string statements) => Check(InMethod(statements));

    [Theory]
    [InlineData("var held = new List<ReservationHandle>();\nforeach (var r in requests) { held.Add({|#0:await store.ReserveAsync(r, ct)|}); }\nWork.Use(held[0]);", "held")]
    [InlineData("var held = new List<ReservationHandle>();\ntry { held.Add({|#0:await store.ReserveAsync(request, ct)|}); }\nfinally { held.Clear(); }", "held")]
    [InlineData("var held = new ReservationHandle[1];\nheld[0] = {|#0:await store.ReserveAsync(request, ct)|};\nWork.Use(held[0]);", "held")]
    [InlineData("var byScope = new Dictionary<string, ReservationHandle>();\nbyScope[\"a\"] = {|#0:await store.ReserveAsync(request, ct)|};\nConsole.WriteLine(byScope.Count);", "byScope")]
    [InlineData("var stack = new Stack<ReservationHandle>();\nstack.Push({|#0:await store.ReserveAsync(request, ct)|});\nConsole.WriteLine(stack.Count);\nwhile (stack.TryPop(out var h)) { await h.DisposeAsync(); }", "stack")]
    [InlineData("var handles = {|#0:await Task.WhenAll(requests.Select(r => store.ReserveAsync(r, ct)))|};\nWork.Use(handles[0]);", "handles")]
    public Task Collection_never_drained_is_reported(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));

    // ---- constructor and field transfer ----

    [Theory]
    [InlineData("var h = await store.ReserveAsync(request, ct);\nreturn new Job(h);")]
    [InlineData("return new Job(await store.ReserveAsync(request, ct));")]
    [InlineData("var h = await store.ReserveAsync(request, ct);\nawait using var job = new Job(h);\nawait Work.DoAsync();")]
    [InlineData("var h = await store.ReserveAsync(request, ct);\nreturn new Lease(h, \"note\");")]
    [InlineData("var h = await store.ReserveAsync(request, ct);\nreturn new Acquired(h, 1);")]
    [InlineData("var h = await store.ReserveAsync(request, ct);\nvar acquired = new Acquired(h, 1);\nreturn acquired;")]
    [InlineData("return new Acquired(await store.ReserveAsync(request, ct), 1);")]
    public Task Handed_to_a_constructor_that_keeps_it_is_silent(string statements) => Check(InMethod(statements));

    [Theory]
    [InlineData("var h = {|#0:await store.ReserveAsync(request, ct)|};\nreturn new ForgetfulJob(h);", "h")]
    [InlineData("return new ForgetfulJob({|#0:await store.ReserveAsync(request, ct)|});", "store.ReserveAsync(request, ct)")]
    [InlineData("var h = {|#0:await store.ReserveAsync(request, ct)|};\nvar acquired = new Acquired(h, 1);\nConsole.WriteLine(acquired.Tries);", "h")]
    public Task Handed_to_a_constructor_that_never_releases_it_is_reported(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));

    [Fact]
    public Task A_wrapper_type_in_source_whose_dispose_mentions_the_field_through_this_is_followed() => Check("""
        public sealed class Holder : IAsyncDisposable
        {
            private ReservationHandle? _handle;

            public Holder(ReservationHandle handle)
            {
                this._handle = handle ?? throw new ArgumentNullException(nameof(handle));
            }

            public async ValueTask DisposeAsync()
            {
                if (this._handle is { } held) { await held.DisposeAsync(); }
            }
        }

        public class C
        {
            public static async Task<Holder> OpenAsync(IReservationStore store, ReservationRequest request) =>
                new Holder(await store.ReserveAsync(request));
        }
        """);

    [Fact]
    public Task A_handle_created_into_a_returned_tuple_is_silent_and_into_a_dropped_one_reported() => Check("""
        public sealed class OwnHandle : ILockHandle
        {
            public CancellationToken HandleLost => default;
            public ValueTask DisposeAsync() => default;
        }

        public class C
        {
            public static (OwnHandle Handle, int Tries) Open() => (new OwnHandle(), 1);

            public static int Drop()
            {
                var pair = ({|#0:new OwnHandle()|}, 1);
                return pair.Item2;
            }
        }
        """, Diagnostic("AGL001").WithLocation(0).WithArguments("new OwnHandle()"));

    // ---- overwritten variables and skipped releases ----

    [Theory]
    [InlineData("var h = {|#0:await store.ReserveAsync(request, ct)|};\nh = await store.ReserveAsync(request, ct);\ntry { Work.Use(h); } finally { await h.DisposeAsync(); }", "h")]
    [InlineData("foreach (var r in requests)\n{\n    var h = {|#0:await store.ReserveAsync(r, ct)|};\n    if (Work.Flip()) { continue; }\n    try { Work.Use(h); } finally { await h.DisposeAsync(); }\n}", "h")]
    public Task Overwritten_or_skipped_release_is_reported(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));

    [Theory]
    [InlineData("foreach (var r in requests)\n{\n    var h = await store.ReserveAsync(r, ct);\n    try\n    {\n        if (Work.Flip()) { continue; }\n        Work.Use(h);\n    }\n    finally { await h.DisposeAsync(); }\n}")]
    [InlineData("ReservationHandle? h = null;\nforeach (var r in requests)\n{\n    h = await store.ReserveAsync(r, ct);\n    try { Work.Use(h); } finally { await h.DisposeAsync(); }\n}")]
    [InlineData("var h = await store.ReserveAsync(request, ct);\nawait h.DisposeAsync();")]
    [InlineData("ReservationHandle? h;\nwhile ((h = (await store.TryReserveAsync(request, ct)).Handle) is null) { await Work.DoAsync(); }\nawait h.DisposeAsync();")]
    [InlineData("var stack = new Stack<ReservationHandle>();\nstack.Push(await store.ReserveAsync(request, ct));\nwhile (stack.TryPop(out var h)) { await h.DisposeAsync(); }")]
    public Task Release_in_every_iteration_or_before_any_use_is_silent(string statements) => Check(InMethod(statements));

    // ---- functions, tasks, iterators ----

    [Theory]
    [InlineData("var handles = await Task.WhenAll(store.ReserveAsync(request, ct), store.ReserveAsync(request, ct));\ntry { Work.Use(handles[1]); }\nfinally { await Task.WhenAll(handles.Select(h => h.DisposeAsync().AsTask())); }")]
    [InlineData("async Task<ReservationHandle> OpenAsync() => await store.ReserveAsync(request, ct);\nawait using var h = await OpenAsync();\nWork.Use(h);")]
    [InlineData("async ValueTask<ReservationHandle> OpenAsync()\n{\n    var h = await store.ReserveAsync(request, ct);\n    return h;\n}\nawait using var held = await OpenAsync();")]
    [InlineData("Func<Task> work = async () =>\n{\n    var h = await store.ReserveAsync(request, ct);\n    try { Work.Use(h); } finally { await h.DisposeAsync(); }\n};\nawait work();")]
    [InlineData("Func<ReservationRequest, Task<ReservationHandle>> open = r => store.ReserveAsync(r, ct);\nawait using var h = await open(request);")]
    [InlineData("await using var h = (await store.ReserveAsync(request, ct).ConfigureAwait(false)).ConfigureAwait(false);\nawait Work.DoAsync(ct).ConfigureAwait(false);")]
    [InlineData("var h = await store.ReserveAsync(request, ct).ConfigureAwait(false);\nawait using (h.ConfigureAwait(false)) { Work.Use(h); }")]
    [InlineData("var h = await store.ReserveAsync(request, ct);\nawait using var configured = h.ConfigureAwait(false);\nWork.Use(h);")]
    public Task Functions_tasks_and_await_using_are_silent(string statements) => Check(InMethod(statements));

    [Theory]
    [InlineData("async Task<ReservationHandle> OpenAsync() => await store.ReserveAsync(request, ct);\nvar h = {|#0:await OpenAsync()|};\nWork.Use(h);", "h")]
    [InlineData("Func<Task> work = async () =>\n{\n    var h = {|#0:await store.ReserveAsync(request, ct)|};\n    Work.Use(h);\n    await h.DisposeAsync();\n};\nawait work();", "h")]
    [InlineData("var h = {|#0:await store.ReserveAsync(request, ct).ConfigureAwait(false)|};\ntry { Work.Use(h); } finally { await Work.DoAsync().ConfigureAwait(false); }", "h")]
    public Task Functions_tasks_and_await_using_leaks_are_reported(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));

    [Fact]
    public Task Async_iterator_that_releases_is_silent() => Check("""
        public class C
        {
            public async IAsyncEnumerable<long> TokensAsync(IReservationStore store, ReservationRequest request)
            {
                await using var held = await store.ReserveAsync(request);
                yield return held.FencingToken.Value;
                var other = await store.ReserveAsync(request);
                try { yield return other.FencingToken.Value; } finally { await other.DisposeAsync(); }
            }
        }
        """);

    [Fact]
    public Task Async_iterator_that_leaks_is_reported() => Check("""
        public class C
        {
            public async IAsyncEnumerable<long> TokensAsync(IReservationStore store, ReservationRequest request)
            {
                var held = {|#0:await store.ReserveAsync(request)|};
                yield return held.FencingToken.Value;
                await held.DisposeAsync();
            }
        }
        """, Diagnostic("AGL001").WithLocation(0).WithArguments("held"));

    // ---- conditional acquisition and TryReserveAsync results ----

    [Theory]
    [InlineData("ReservationHandle? h = null;\ntry\n{\n    h = Work.Flip() ? await store.ReserveAsync(request, ct) : null;\n    if (h is not null) { Work.Use(h); }\n}\nfinally\n{\n    if (h is not null) { await h.DisposeAsync(); }\n}")]
    [InlineData("var h = Work.Flip() ? await store.ReserveAsync(request, ct) : null;\ntry { await Work.DoAsync(); }\nfinally\n{\n    if (h != null) { await h.DisposeAsync(); }\n}")]
    [InlineData("if (await store.TryReserveAsync(request, ct) is { Succeeded: true, Handle: { } h })\n{\n    await using (h) { Work.Use(h); }\n}")]
    [InlineData("var result = await store.TryReserveAsync(request, ct);\nif (result is { Handle: { } h })\n{\n    try { Work.Use(h); } finally { await h.DisposeAsync(); }\n}")]
    public Task Conditional_and_pattern_matched_acquisitions_are_silent(string statements) => Check(InMethod(statements));

    [Theory]
    [InlineData("var h = Work.Flip() ? {|#0:await store.ReserveAsync(request, ct)|} : null;\nif (h != null) { Work.Use(h); }\nif (h != null) { await h.DisposeAsync(); }", "h")]
    [InlineData("if ({|#0:await store.TryReserveAsync(request, ct)|} is { Succeeded: true, Handle: { } h })\n{\n    Work.Use(h);\n}", "h")]
    public Task Conditional_and_pattern_matched_leaks_are_reported(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));
}
