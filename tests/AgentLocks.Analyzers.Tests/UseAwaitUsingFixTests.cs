using AgentLocks.Analyzers.Lifetime;
using AgentLocks.CodeFixes;
using static AgentLocks.Analyzers.Tests.Verify;

namespace AgentLocks.Analyzers.Tests;

public sealed class UseAwaitUsingFixTests
{
    private const string Prelude = """
        public static class Work
        {
            public static void Use(ILockHandle handle) { }
        }

        public sealed class SyncHandle : ILockHandle, IDisposable
        {
            public CancellationToken HandleLost => default;
            public ValueTask DisposeAsync() => default;
            public void Dispose() { }
            public static SyncHandle Acquire() => new();
        }

        """;

    private static Task Fix(string source, string fixedSource, string key) =>
        CodeFixAsync<HandleLifetimeAnalyzer, UseAwaitUsingCodeFixProvider>(Prelude + source, Prelude + fixedSource, equivalenceKey: key);

    [Fact]
    public Task Declaration_becomes_await_using_and_the_late_release_goes() => Fix("""
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request)
            {
                // Reserve the api scope.
                var held = {|AGL001:await store.ReserveAsync(request)|}; // held until the end
                Work.Use(held);
                await held.DisposeAsync().ConfigureAwait(false);
            }
        }
        """, """
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request)
            {
                // Reserve the api scope.
                await using var held = await store.ReserveAsync(request); // held until the end
                Work.Use(held);
            }
        }
        """, UseAwaitUsingCodeFixProvider.AwaitUsingKey);

    [Theory]
    [InlineData("{|AGL002:await store.ReserveAsync(request)|};")]
    [InlineData("_ = {|AGL002:await store.ReserveAsync(request)|};")]
    public Task Discarded_handle_is_held_to_the_end_of_the_block(string statement) => Fix($$"""
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request)
            {
                var held = 1;
                /* keep */ {{statement}}
            }
        }
        """, """
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request)
            {
                var held = 1;
                /* keep */ await using var held2 = await store.ReserveAsync(request);
            }
        }
        """, UseAwaitUsingCodeFixProvider.AwaitUsingKey);

    [Fact]
    public Task Synchronous_handle_in_a_synchronous_method_gets_using() => Fix("""
        public class C
        {
            public void Run()
            {
                var held = {|AGL001:SyncHandle.Acquire()|};
                Work.Use(held);
                held.Dispose();
            }
        }
        """, """
        public class C
        {
            public void Run()
            {
                using var held = SyncHandle.Acquire();
                Work.Use(held);
            }
        }
        """, UseAwaitUsingCodeFixProvider.UsingKey);

    [Fact]
    public Task Void_method_is_made_async() => Fix("""
        public class C
        {
            public void Run(IReservationStore store, ReservationRequest request)
            {
                var held = {|AGL001:store.ReserveAsync(request).GetAwaiter().GetResult()|};
                Work.Use(held);
            }
        }
        """, """
        public class C
        {
            public async Task Run(IReservationStore store, ReservationRequest request)
            {
                await using var held = store.ReserveAsync(request).GetAwaiter().GetResult();
                Work.Use(held);
            }
        }
        """, UseAwaitUsingCodeFixProvider.AwaitUsingMakeAsyncKey);

    [Fact]
    public Task Value_returning_method_is_made_async_task_of_the_value() => Fix("""
        public class C
        {
            internal static int Run(IReservationStore store, ReservationRequest request)
            {
                var held = {|AGL001:store.ReserveAsync(request).Result|};
                return held.Reservation.Scope.Value.Length;
            }
        }
        """, """
        public class C
        {
            internal static async Task<int> Run(IReservationStore store, ReservationRequest request)
            {
                await using var held = store.ReserveAsync(request).Result;
                return held.Reservation.Scope.Value.Length;
            }
        }
        """, UseAwaitUsingCodeFixProvider.AwaitUsingMakeAsyncKey);

    [Fact]
    public Task Making_async_keeps_doc_comments_attributes_and_comments() => Fix("""
        public class C
        {
            /// <summary>Runs.</summary>
            [Obsolete("old")] // not yet
            public /* visible */ void Run(IReservationStore store, ReservationRequest request)
            {
                var held = {|AGL001:store.ReserveAsync(request).Result|}; // the handle
                Work.Use(held); // work
            }

            /// <summary>No modifiers.</summary>
            void Quiet(IReservationStore store, ReservationRequest request)
            {
                // reserve
                _ = {|AGL002:store.ReserveAsync(request).Result|}; // until the end
            }
        }
        """, """
        public class C
        {
            /// <summary>Runs.</summary>
            [Obsolete("old")] // not yet
            public /* visible */ async Task Run(IReservationStore store, ReservationRequest request)
            {
                await using var held = store.ReserveAsync(request).Result; // the handle
                Work.Use(held); // work
            }

            /// <summary>No modifiers.</summary>
            async Task Quiet(IReservationStore store, ReservationRequest request)
            {
                // reserve
                await using var held = store.ReserveAsync(request).Result; // until the end
            }
        }
        """, UseAwaitUsingCodeFixProvider.AwaitUsingMakeAsyncKey);

    [Fact]
    public Task Local_function_is_made_async() => Fix("""
        public class C
        {
            public void Run(IReservationStore store, ReservationRequest request)
            {
                Inner();

                void Inner()
                {
                    var held = {|AGL001:store.ReserveAsync(request).Result|};
                    Work.Use(held);
                }
            }
        }
        """, """
        public class C
        {
            public void Run(IReservationStore store, ReservationRequest request)
            {
                Inner();

                async Task Inner()
                {
                    await using var held = store.ReserveAsync(request).Result;
                    Work.Use(held);
                }
            }
        }
        """, UseAwaitUsingCodeFixProvider.AwaitUsingMakeAsyncKey);

    [Fact]
    public Task Method_returning_a_value_task_is_not_offered_make_async() => CodeFixAsync<HandleLifetimeAnalyzer, UseAwaitUsingCodeFixProvider>(Prelude + """
        public class C
        {
            public Task<int> RunAsync(IReservationStore store, ReservationRequest request)
            {
                var held = {|AGL001:store.ReserveAsync(request).Result|};
                return Task.FromResult(held.Reservation.Scope.Value.Length);
            }
        }
        """, Prelude + """
        public class C
        {
            public Task<int> RunAsync(IReservationStore store, ReservationRequest request)
            {
                var held = {|AGL001:store.ReserveAsync(request).Result|};
                return Task.FromResult(held.Reservation.Scope.Value.Length);
            }
        }
        """);

    /// <summary>
    /// Hoisting a switch- or pattern-bound handle (also the <c>Handle</c> of a result) into an <c>await using</c>
    /// before the test would release it under the sections that return or store it, so no fix is offered: the fixed code is the code itself.
    /// </summary>
    [Theory]
    [InlineData("switch ({|AGL001:await store.ReserveAsync(request)|})\n{\n    case { } held when held.HandleLost.CanBeCanceled:\n        return held;\n    case { } other:\n        Work.Use(other);\n        break;\n}")]
    [InlineData("var token = {|AGL001:await store.ReserveAsync(request)|} switch { { } held => held.FencingToken, null => default };")]
    [InlineData("if ({|AGL001:await store.TryReserveAsync(request)|} is { Handle: { } held }) { Work.Use(held); }")]
    [InlineData("switch ({|AGL001:await store.TryReserveAsync(request)|})\n{\n    case { Handle: { } held } when held.HandleLost.CanBeCanceled:\n        return held;\n    case { Handle: var other }:\n        Work.Use(other!);\n        break;\n}")]
    public Task Switch_bound_handle_is_not_offered_a_fix(string statements)
    {
        var source = Prelude + $$"""
            public class C
            {
                public async Task<ILockHandle?> RunAsync(IReservationStore store, ReservationRequest request)
                {
            {{statements}}
                    return null;
                }
            }
            """;
        return CodeFixAsync<HandleLifetimeAnalyzer, UseAwaitUsingCodeFixProvider>(source, source);
    }

    [Fact]
    public Task Fix_all_rewrites_every_document_in_the_solution() =>
        CodeFixAsync<HandleLifetimeAnalyzer, UseAwaitUsingCodeFixProvider>(
            [
                Prelude + """
                public class A
                {
                    public async Task OneAsync(IReservationStore store, ReservationRequest request)
                    {
                        var first = {|AGL001:await store.ReserveAsync(request)|};
                        Work.Use(first);
                        var second = {|AGL001:await store.ReserveAsync(request)|};
                        Work.Use(second);
                    }
                }
                """,
                """
                public class B
                {
                    public async Task TwoAsync(IReservationStore store, ReservationRequest request)
                    {
                        {|AGL002:await store.ReserveAsync(request)|};
                    }
                }
                """,
            ],
            [
                Prelude + """
                public class A
                {
                    public async Task OneAsync(IReservationStore store, ReservationRequest request)
                    {
                        await using var first = await store.ReserveAsync(request);
                        Work.Use(first);
                        await using var second = await store.ReserveAsync(request);
                        Work.Use(second);
                    }
                }
                """,
                """
                public class B
                {
                    public async Task TwoAsync(IReservationStore store, ReservationRequest request)
                    {
                        await using var held = await store.ReserveAsync(request);
                    }
                }
                """,
            ],
            UseAwaitUsingCodeFixProvider.AwaitUsingKey);
}
