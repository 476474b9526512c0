using AgentLocks.Analyzers.Lifetime;
using Microsoft.CodeAnalysis.Testing;
using static AgentLocks.Analyzers.Tests.Verify;

namespace AgentLocks.Analyzers.Tests;

public sealed class HandleLifetimeTests
{
    private const string Prelude = """
        public static class Work
        {
            public static Task DoAsync(CancellationToken ct = default) => Task.CompletedTask;
            public static void Use(ILockHandle handle) { }
            public static void Keep([TakesOwnership] ILockHandle handle) { }
            public static bool Flip() => DateTime.UtcNow.Ticks % 2 == 0;
        }

        /// <summary>A handle that can also be released synchronously.</summary>
        public sealed class SyncHandle : ILockHandle, IDisposable
        {
            public CancellationToken HandleLost => default;
            public ValueTask DisposeAsync() => default;
            public void Dispose() { }
            public static SyncHandle Acquire() => new();
            public static ValueTask<SyncHandle> AcquireAsync() => new(new SyncHandle());
        }

        """;

    private static Task Check(string body, params DiagnosticResult[] expected) =>
        AnalyzerAsync<HandleLifetimeAnalyzer>(Prelude + body, expected);

    private static string InMethod(string statements) => $$"""
        public class C
        {
            private ILockHandle? _field;

            public async Task<ILockHandle?> RunAsync(IReservationStore store, ReservationRequest request, CancellationToken ct)
            {
        {{statements}}
                return null;
            }
        }
        """;

    // ---- AGL001: silent shapes ----

    [Theory]
    [InlineData("await using var held = await store.ReserveAsync(request, ct);\nawait Work.DoAsync(held.HandleLost);")]
    [InlineData("await using var held = (await store.ReserveAsync(request, ct).ConfigureAwait(false)).ConfigureAwait(false);")]
    [InlineData("await using (var held = await store.ReserveAsync(request, ct)) { await Work.DoAsync(held.HandleLost); }")]
    [InlineData("await using (await store.ReserveAsync(request, ct)) { await Work.DoAsync(); }")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\ntry { await Work.DoAsync(held.HandleLost); }\nfinally { await held.DisposeAsync(); }")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\ntry { await Work.DoAsync(held.HandleLost); }\nfinally { await held.DisposeAsync().ConfigureAwait(false); }")]
    [InlineData("ReservationHandle? held = null;\ntry { held = await store.ReserveAsync(request, ct); await Work.DoAsync(held.HandleLost); }\nfinally { if (held is not null) { await held.DisposeAsync(); } }")]
    [InlineData("ReservationHandle? held = null;\ntry { held = await store.ReserveAsync(request, ct); Work.Use(held); }\nfinally { await (held?.DisposeAsync() ?? default); }")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\ntry { try { Work.Use(held); } finally { await Work.DoAsync(); } }\nfinally { try { await Work.DoAsync(); } finally { await held.DisposeAsync(); } }")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\nreturn held;")]
    [InlineData("return await store.ReserveAsync(request, ct);")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\n_field = held;")]
    [InlineData("_field = await store.ReserveAsync(request, ct);")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\nWork.Keep(held);")]
    [InlineData("Work.Keep(await store.ReserveAsync(request, ct));")]
    [InlineData("var result = await store.TryReserveAsync(request, ct);\nif (!result.Succeeded) { return null; }\nawait using var held = result.Handle;\nWork.Use(held);")]
    [InlineData("var result = await store.TryReserveAsync(request, ct);\nawait using var held = result.Handle;")]
    [InlineData("var held = (await store.TryReserveAsync(request, ct)).Handle;\nif (held is null) { return null; }\ntry { Work.Use(held); }\nfinally { await held.DisposeAsync(); }")]
    [InlineData("var held = (await store.TryReserveAsync(request, ct)).Handle;\nif (held == null) return null;\ntry { Work.Use(held); }\nfinally { await held.DisposeAsync(); }")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\nawait using var owner = held;")]
    [InlineData("for (var i = 0; i < 3; i++)\n{\n    var held = await store.ReserveAsync(request, ct);\n    try { Work.Use(held); } finally { await held.DisposeAsync(); }\n}")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\nFunc<Task> later = async () => await held.DisposeAsync();\nawait later();")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\nAction keep = () => Work.Keep(held);\nkeep();")]
    [InlineData("var held = await store.ReserveAsync(request, ct);\nFunc<long> token = () => held.FencingToken.Value;\ntry { Console.WriteLine(token()); } finally { await held.DisposeAsync(); }")]
    [InlineData("var all = await store.ReserveAllAsync([request], ct);\ntry { Work.Use(all.Handles[0]); } finally { await all.DisposeAsync(); }")]
    public Task Released_or_handed_on_is_silent(string statements) => Check(InMethod(statements));

    [Fact]
    public Task Returned_inside_a_tuple_is_handed_on() => Check("""
        public class C
        {
            public async Task<(ILockHandle Held, int Tries)> RunAsync(IReservationStore store, ReservationRequest request, CancellationToken ct)
            {
                var held = Work.Flip() ? await store.ReserveAsync(request, ct) : await store.ReserveAsync(request, ct);
                return (held, 1);
            }
        }
        """);

    [Fact]
    public Task Wrapped_in_a_returned_task_is_handed_on() => Check("""
        public class C
        {
            public ValueTask<SyncHandle> GetAsync()
            {
                var held = SyncHandle.Acquire();
                return new ValueTask<SyncHandle>(held);
            }

            public Task<SyncHandle> Get() => Task.FromResult(SyncHandle.Acquire());
        }
        """);

    [Fact]
    public Task Kept_in_a_tuple_that_is_dropped_is_reported() => Check("""
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request, CancellationToken ct)
            {
                var held = {|#0:await store.ReserveAsync(request, ct)|};
                (ILockHandle, int) pair = (held, 1);
                Work.Use(pair.Item1);
            }
        }
        """, Diagnostic("AGL001").WithLocation(0).WithArguments("held"));

    private static string ReturningTuple(string statements) => $$"""
        public class C
        {
            public async Task<(ILockHandle? Held, string? Note)> RunAsync(WorkerIdentityLock locks, CancellationToken ct)
            {
        {{statements}}
                return (null, null);
            }
        }
        """;

    [Theory]
    [InlineData("if (await locks.TryAcquireAsync(cancellationToken: ct) is { } held)\n{\n    return (held, \"note\");\n}")]
    [InlineData("if (await locks.TryAcquireAsync(cancellationToken: ct).ConfigureAwait(false) is WorkerLockHandle held)\n{\n    return (held, \"note\");\n}")]
    [InlineData("if (await locks.TryAcquireAsync(cancellationToken: ct) is not { } held)\n{\n    return (null, \"busy\");\n}\nreturn (held, \"note\");")]
    [InlineData("if (await locks.TryAcquireAsync(cancellationToken: ct) is not WorkerLockHandle held) return (null, \"busy\");\nreturn (held, held.TookOver is { } old ? old.Reason : null);")]
    public Task Pattern_bound_handle_returned_in_a_tuple_is_handed_on(string statements) => Check(ReturningTuple(statements));

    [Theory]
    [InlineData("if (await new WorkerIdentityLock(\"/tmp/w\").TryAcquireAsync(cancellationToken: ct) is { } held) { return held; }")]
    [InlineData("if (await store.ReserveAsync(request, ct) is ReservationHandle held) { _field = held; }")]
    [InlineData("if (await store.ReserveAsync(request, ct) is { } held) { Work.Keep(held); }")]
    [InlineData("if ((await store.TryReserveAsync(request, ct)).Handle is { } held)\n{\n    try { Work.Use(held); } finally { await held.DisposeAsync(); }\n}")]
    [InlineData("if ((await store.TryReserveAsync(request, ct)).Handle is not { } held) { return null; }\ntry { Work.Use(held); } finally { await held.DisposeAsync(); }")]
    [InlineData("if (await new WorkerIdentityLock(\"/tmp/w\").TryAcquireAsync(cancellationToken: ct) is not WorkerLockHandle held) return null;\nawait using (held) { Work.Use(held); }")]
    [InlineData("if (await store.ReserveAsync(request, ct) is { } held) { await using var owner = held; Work.Use(owner); }")]
    public Task Pattern_bound_handle_released_or_handed_on_is_silent(string statements) => Check(InMethod(statements));

    [Theory]
    [InlineData("if ({|#0:await new WorkerIdentityLock(\"/tmp/w\").TryAcquireAsync(cancellationToken: ct)|} is { } held) { Work.Use(held); }", "held")]
    [InlineData("if ({|#0:(await store.TryReserveAsync(request, ct)).Handle|} is not { } held) { return null; }\nWork.Use(held);\nawait held.DisposeAsync();", "held")]
    [InlineData("if ({|#0:await store.ReserveAsync(request, ct)|} is ReservationHandle held)\n{\n    Work.Use(held);\n    try { await Work.DoAsync(); } finally { await held.DisposeAsync(); }\n}", "held")]
    [InlineData("if ({|#0:await store.ReserveAsync(request, ct)|} is not null) { await Work.DoAsync(); }", "store.ReserveAsync(request, ct)")]
    [InlineData("if ({|#0:await store.ReserveAsync(request, ct)|} is { HandleLost.CanBeCanceled: true } held)\n{\n    try { Work.Use(held); } finally { await held.DisposeAsync(); }\n}", "held")]
    [InlineData("if ({|#0:await store.ReserveAsync(request, ct)|} is { } held)\n{\n    if (Work.Flip()) { return held; }\n}", "held")]
    public Task Pattern_bound_handle_not_released_is_reported(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));

    // ---- AGL001: handles bound by switch statements and switch expressions ----

    [Theory]
    [InlineData("switch (await store.ReserveAsync(request, ct))\n{\n    case { } held:\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        break;\n}")]
    [InlineData("switch (await store.ReserveAsync(request, ct))\n{\n    case ReservationHandle held:\n        return held;\n}")]
    [InlineData("switch (await store.ReserveAsync(request, ct))\n{\n    case { } held:\n        _field = held;\n        break;\n}")]
    [InlineData("switch (await store.ReserveAsync(request, ct))\n{\n    case var held:\n        Work.Keep(held);\n        break;\n}")]
    [InlineData("switch (await store.ReserveAsync(request, ct))\n{\n    case { } held:\n        await using (held) { Work.Use(held); }\n        break;\n}")]
    [InlineData("switch (await store.ReserveAsync(request, ct))\n{\n    case { } held:\n    {\n        await using var owner = held;\n        Work.Use(owner);\n        break;\n    }\n}")]
    [InlineData("switch ((await store.TryReserveAsync(request, ct)).Handle)\n{\n    case null:\n        return null;\n    case var held:\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        break;\n}")]
    [InlineData("switch ((await store.TryReserveAsync(request, ct)).Handle)\n{\n    case null:\n        return null;\n    case { } first when Work.Flip():\n        try { Work.Use(first); } finally { await first.DisposeAsync(); }\n        break;\n    case { } other:\n        _field = other;\n        break;\n}")]
    [InlineData("switch (await new WorkerIdentityLock(\"/tmp/w\").TryAcquireAsync(cancellationToken: ct))\n{\n    case { } held when Work.Flip():\n        return held;\n    case { } held:\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        break;\n    default:\n        return null;\n}")]
    [InlineData("switch ((ILockHandle?)(await store.TryReserveAsync(request, ct)).Handle)\n{\n    case null:\n        return null;\n    case var held:\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        break;\n}")]
    [InlineData("return await store.ReserveAsync(request, ct) switch { { } held => held, null => null };")]
    [InlineData("_field = (await store.TryReserveAsync(request, ct)).Handle switch { { } held when Work.Flip() => held, var other => other };")]
    [InlineData("await using var owner = await store.ReserveAsync(request, ct) switch { { } held => held, null => null };\nWork.Use(owner);")]
    [InlineData("var held = Work.Flip() switch { true => await store.ReserveAsync(request, ct), false => await store.ReserveAsync(request, ct) };\ntry { Work.Use(held); } finally { await held.DisposeAsync(); }")]
    public Task Switch_bound_handle_released_or_handed_on_is_silent(string statements) => Check(InMethod(statements));

    [Theory]
    [InlineData("switch ({|#0:await store.ReserveAsync(request, ct)|})\n{\n    case { } held:\n        Work.Use(held);\n        break;\n}", "held")]
    [InlineData("switch ({|#0:await store.ReserveAsync(request, ct)|})\n{\n    case ReservationHandle held:\n        Work.Use(held);\n        await held.DisposeAsync();\n        break;\n}", "held")]
    [InlineData("switch ({|#0:await store.ReserveAsync(request, ct)|})\n{\n    case { } held when Work.Flip():\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        break;\n}", "held")]
    [InlineData("switch ({|#0:await store.ReserveAsync(request, ct)|})\n{\n    case { } held when Work.Flip():\n        Work.Keep(held);\n        break;\n}", "held")]
    [InlineData("switch ({|#0:await store.ReserveAsync(request, ct)|})\n{\n    case { HandleLost.IsCancellationRequested: false } held:\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        break;\n}", "held")]
    [InlineData("switch ({|#0:await store.ReserveAsync(request, ct)|})\n{\n    case { } held when held.HandleLost.CanBeCanceled:\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        break;\n    case { } other:\n        _field = other;\n        break;\n}", "held")]
    [InlineData("switch ({|#0:await store.ReserveAsync(request, ct)|})\n{\n    case { } first when Work.Flip():\n        try { Work.Use(first); } finally { await first.DisposeAsync(); }\n        break;\n    case { } second:\n        Work.Use(second);\n        break;\n}", "first, second")]
    [InlineData("switch ({|#0:await new WorkerIdentityLock(\"/tmp/w\").TryAcquireAsync(cancellationToken: ct)|})\n{\n    case { TookOver: not null } held:\n        return held;\n    default:\n        break;\n}", "held")]
    [InlineData("var token = {|#0:await store.ReserveAsync(request, ct)|} switch { { } held => held.FencingToken, null => default };", "held")]
    [InlineData("var waited = {|#0:await store.ReserveAsync(request, ct)|} switch { { } held when Work.Flip() => held, _ => null };\nawait using (waited) { Work.Use(waited!); }", "held")]
    [InlineData("switch ({|#0:await store.ReserveAsync(request, ct)|})\n{\n    case ReservationHandle:\n        break;\n}", "store.ReserveAsync(request, ct)")]
    public Task Switch_bound_handle_not_released_is_reported(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));

    // ---- AGL001: the handle of a TryReserveAsync result bound by a property pattern ----

    [Theory]
    [InlineData("if (await store.TryReserveAsync(request, ct) is { Handle: { } held })\n{\n    try { Work.Use(held); } finally { await held.DisposeAsync(); }\n}")]
    [InlineData("if (await store.TryReserveAsync(request, ct) is { Handle: { } held }) { await using (held) { Work.Use(held); } }")]
    [InlineData("if (await store.TryReserveAsync(request, ct) is { Handle: { } held }) { return held; }")]
    [InlineData("if (await store.TryReserveAsync(request, ct) is not { Handle: { } held }) { return null; }\ntry { Work.Use(held); } finally { await held.DisposeAsync(); }")]
    [InlineData("if (await store.TryReserveAsync(request, ct) is { Handle: var held })\n{\n    if (held is null) { return null; }\n    try { Work.Use(held); } finally { await held.DisposeAsync(); }\n}")]
    [InlineData("if (await store.TryReserveAsync(request, ct) is { Handle: var held }) { _field = held; }")]
    [InlineData("switch (await store.TryReserveAsync(request, ct))\n{\n    case { Handle: { } held }:\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        break;\n}")]
    [InlineData("switch (await store.TryReserveAsync(request, ct))\n{\n    case { Handle: { } held } when Work.Flip():\n        return held;\n    case { Handle: { } other }:\n        Work.Keep(other);\n        break;\n}")]
    [InlineData("switch (await store.TryReserveAsync(request, ct))\n{\n    case { Handle: null }:\n        return null;\n    case { Handle: var held }:\n        await using (held) { Work.Use(held); }\n        break;\n}")]
    [InlineData("return await store.TryReserveAsync(request, ct) switch { { Handle: { } held } => held, _ => null };")]
    public Task Result_handle_bound_by_a_property_pattern_released_or_handed_on_is_silent(string statements) => Check(InMethod(statements));

    [Theory]
    [InlineData("if ({|#0:await store.TryReserveAsync(request, ct)|} is { Handle: { } held }) { Work.Use(held); }", "held")]
    [InlineData("if ({|#0:await store.TryReserveAsync(request, ct)|} is { Handle: { } held })\n{\n    Work.Use(held);\n    await held.DisposeAsync();\n}", "held")]
    [InlineData("if ({|#0:await store.TryReserveAsync(request, ct)|} is not { Handle: { } held }) { return null; }\nWork.Use(held);", "held")]
    [InlineData("if ({|#0:await store.TryReserveAsync(request, ct)|} is { Handle: var held })\n{\n    if (held is null) { return null; }\n    Work.Use(held);\n}", "held")]
    [InlineData("if ({|#0:await store.TryReserveAsync(request, ct)|} is { Handle: { } held, Error: null })\n{\n    try { Work.Use(held); } finally { await held.DisposeAsync(); }\n}", "held")]
    [InlineData("switch ({|#0:await store.TryReserveAsync(request, ct)|})\n{\n    case { Handle: { } held }:\n        Work.Use(held);\n        break;\n}", "held")]
    [InlineData("switch ({|#0:await store.TryReserveAsync(request, ct)|})\n{\n    case { Handle: { } held } when Work.Flip():\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        break;\n}", "held")]
    [InlineData("var token = {|#0:await store.TryReserveAsync(request, ct)|} switch { { Handle: { } held } => held.FencingToken, _ => default };", "held")]
    [InlineData("if ({|#0:await store.TryReserveAsync(request, ct)|} is { Succeeded: true }) { await Work.DoAsync(); }", "store.TryReserveAsync(request, ct)")]
    public Task Result_handle_bound_by_a_property_pattern_not_released_is_reported(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));

    [Fact]
    public Task Synchronous_handle_in_a_synchronous_method_with_using_is_silent() => Check("""
        public class C
        {
            public void Run()
            {
                using var held = SyncHandle.Acquire();
                var other = SyncHandle.Acquire();
                try { Work.Use(other); } finally { other.Dispose(); }
            }
        }
        """);

    // ---- AGL001: true positives ----

    [Theory]
    [InlineData("var held = {|#0:await store.ReserveAsync(request, ct)|};\nawait Work.DoAsync(held.HandleLost);\nawait held.DisposeAsync();", "held")]
    [InlineData("var held = {|#0:await store.ReserveAsync(request, ct)|};\nWork.Use(held);", "held")]
    [InlineData("var held = {|#0:await store.ReserveAsync(request, ct)|};\nif (Work.Flip()) { return null; }\ntry { Work.Use(held); } finally { await held.DisposeAsync(); }", "held")]
    [InlineData("var held = {|#0:await store.ReserveAsync(request, ct)|};\nWork.Use(held);\ntry { await Work.DoAsync(); } finally { await held.DisposeAsync(); }", "held")]
    [InlineData("var held = {|#0:await store.ReserveAsync(request, ct)|};\nif (Work.Flip()) { await held.DisposeAsync(); }", "held")]
    [InlineData("var held = {|#0:(await store.TryReserveAsync(request, ct)).Handle|};\nWork.Use(held!);", "held")]
    [InlineData("var result = {|#0:await store.TryReserveAsync(request, ct)|};\nif (!result.Succeeded) { return null; }", "result.Handle")]
    [InlineData("Work.Use({|#0:await store.ReserveAsync(request, ct)|});", "store.ReserveAsync(request, ct)")]
    [InlineData("var token = ({|#0:await store.ReserveAsync(request, ct)|}).FencingToken;", "store.ReserveAsync(request, ct)")]
    [InlineData("var held = {|#0:store.ReserveAsync(request, ct).Result|};", "held")]
    [InlineData("var held = {|#0:await store.ReserveAsync(request, ct)|};\nFunc<long> token = () => held.FencingToken.Value;\nConsole.WriteLine(token());", "held")]
    [InlineData("var held = {|#0:await store.ReserveAsync(request, ct)|};\nvoid Log() => Console.WriteLine(held.FencingToken);\nLog();", "held")]
    public Task Not_released_on_every_path_is_reported(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));

    [Fact]
    public Task Synchronous_acquisition_without_release_is_reported() => Check("""
        public class C
        {
            public void Run()
            {
                var held = {|#0:SyncHandle.Acquire()|};
                Work.Use(held);
                held.Dispose();
            }
        }
        """, Diagnostic("AGL001").WithLocation(0).WithArguments("held"));

    [Theory]
    [InlineData("var held = {|#0:await SyncHandle.AcquireAsync()|};\nWork.Use(held);", "held")]
    [InlineData("var identity = {|#0:await new WorkerIdentityLock(\"/tmp/w\").AcquireAsync(cancellationToken: ct)|};\nConsole.WriteLine(identity.TookOver);", "identity")]
    [InlineData("var identity = {|#0:await new WorkerIdentityLock(\"/tmp/w\").TryAcquireAsync(cancellationToken: ct)|};\nConsole.WriteLine(identity?.TookOver);", "identity")]
    public Task Value_task_and_identity_lock_handles_are_followed_too(string statements, string name) =>
        Check(InMethod(statements), Diagnostic("AGL001").WithLocation(0).WithArguments(name));

    [Theory]
    [InlineData("await using var held = await SyncHandle.AcquireAsync();\nWork.Use(held);")]
    [InlineData("await using var identity = (await new WorkerIdentityLock(\"/tmp/w\").AcquireAsync(cancellationToken: ct).ConfigureAwait(false)).ConfigureAwait(false);")]
    [InlineData("var identity = await new WorkerIdentityLock(\"/tmp/w\").TryAcquireAsync(cancellationToken: ct);\nif (identity is null) { return null; }\nawait using (identity) { Work.Use(identity); }")]
    public Task Value_task_and_identity_lock_handles_released_are_silent(string statements) => Check(InMethod(statements));

    // ---- AGL002 and AGL003 ----

    [Theory]
    [InlineData("{|#0:await store.ReserveAsync(request, ct)|};")]
    [InlineData("_ = {|#0:await store.ReserveAsync(request, ct)|};")]
    [InlineData("{|#0:await store.TryReserveAsync(request, ct)|};")]
    [InlineData("{|#0:await store.ReserveAllAsync([request], ct)|};")]
    public Task Discarded_handle_is_reported(string statements) =>
        Check(InMethod(statements), Diagnostic("AGL002").WithLocation(0));

    [Theory]
    [InlineData("{|#0:store.ReserveAsync(request, ct)|};")]
    [InlineData("_ = {|#0:store.ReserveAsync(request, ct)|};")]
    [InlineData("var pending = {|#0:store.ReserveAsync(request, ct)|};\nawait Work.DoAsync();")]
    public Task Acquisition_not_awaited_is_reported(string statements) =>
        Check(InMethod(statements), Diagnostic("AGL003").WithLocation(0).WithArguments("store.ReserveAsync(request, ct)"));

    [Fact]
    public Task Value_task_acquisition_not_awaited_is_reported() =>
        Check(InMethod("_ = {|#0:SyncHandle.AcquireAsync()|};"), Diagnostic("AGL003").WithLocation(0).WithArguments("SyncHandle.AcquireAsync()"));

    [Theory]
    [InlineData("var pending = store.ReserveAsync(request, ct);\nawait using var held = await pending;")]
    [InlineData("var pending = store.ReserveAsync(request, ct);\nawait Task.WhenAll(pending);\nawait using var held = pending.Result;")]
    public Task Awaited_task_is_silent(string statements) => Check(InMethod(statements));

    // ---- AGL004 ----

    [Fact]
    public Task Synchronous_release_in_async_method_is_reported() => Check("""
        public class C
        {
            public async Task RunAsync()
            {
                {|#0:using var held = SyncHandle.Acquire();|}
                var other = SyncHandle.Acquire();
                try { await Work.DoAsync(); } finally { {|#1:other.Dispose()|}; }
                {|#2:using (var third = SyncHandle.Acquire()) { await Work.DoAsync(); }|}
            }
        }
        """,
        Diagnostic("AGL004").WithLocation(0).WithArguments("held"),
        Diagnostic("AGL004").WithLocation(1).WithArguments("other"),
        Diagnostic("AGL004").WithLocation(2).WithArguments("third"));

    [Fact]
    public Task Asynchronous_release_in_async_method_is_silent() => Check("""
        public class C
        {
            public async Task RunAsync()
            {
                await using var held = SyncHandle.Acquire();
                var other = SyncHandle.Acquire();
                try { await Work.DoAsync(); } finally { await other.DisposeAsync(); }
                void Local() { using var inner = SyncHandle.Acquire(); }
                Local();
            }
        }
        """);

    // ---- AGL005 ----

    [Theory]
    [InlineData("var held = await store.ReserveAsync(request, ct);\ntry { Work.Use(held); } finally { await held.DisposeAsync(); }\nConsole.WriteLine({|#0:held|}.FencingToken);")]
    [InlineData("ReservationHandle? held = null;\ntry { held = await store.ReserveAsync(request, ct); await held.DisposeAsync(); Work.Use({|#0:held|}); } finally { if (held is not null) await held.DisposeAsync(); }")]
    [InlineData("switch (await store.ReserveAsync(request, ct))\n{\n    case { } held:\n        try { Work.Use(held); } finally { await held.DisposeAsync(); }\n        Console.WriteLine({|#0:held|}.FencingToken);\n        break;\n}")]
    public Task Use_after_release_is_reported(string statements) =>
        Check(InMethod(statements), Diagnostic("AGL005").WithLocation(0).WithArguments("held"));

    [Theory]
    [InlineData("ReservationHandle? held = null;\ntry { held = await store.ReserveAsync(request, ct); Work.Use(held); } finally { if (held is not null) await held.DisposeAsync(); }")]
    [InlineData("ReservationHandle? held = null;\nfor (var i = 0; i < 2; i++)\n{\n    held = await store.ReserveAsync(request, ct);\n    try { Work.Use(held); } finally { await held.DisposeAsync(); }\n}")]
    public Task Release_without_later_use_is_silent(string statements) => Check(InMethod(statements));
}
