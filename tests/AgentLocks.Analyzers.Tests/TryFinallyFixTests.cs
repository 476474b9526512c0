using AgentLocks.Analyzers.Lifetime;
using AgentLocks.CodeFixes;
using static AgentLocks.Analyzers.Tests.Verify;

namespace AgentLocks.Analyzers.Tests;

public sealed class TryFinallyFixTests
{
    private const string SyncHandle = """
        public sealed class SyncHandle : ILockHandle, IDisposable
        {
            public CancellationToken HandleLost => default;
            public ValueTask DisposeAsync() => default;
            public void Dispose() { }
            public static SyncHandle Acquire() => new();
        }

        """;

    private static Task Fix(string source, string fixedSource) =>
        CodeFixAsync<ReleaseInFinallyAnalyzer, TryFinallyToAwaitUsingCodeFixProvider>(source, fixedSource, equivalenceKey: TryFinallyToAwaitUsingCodeFixProvider.Key);

    [Fact]
    public Task Try_that_ends_the_block_becomes_an_await_using_declaration() => Fix("""
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request)
            {
                // Hold the api scope.
                var held = await store.ReserveAsync(request);
                // The work.
                try
                {
                    Console.WriteLine(held.FencingToken); // the token
                    await Task.Yield();
                }
                {|AGL006:finally|}
                {
                    await held.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        """, """
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request)
            {
                // Hold the api scope.
                await using var held = await store.ReserveAsync(request);
                // The work.
                Console.WriteLine(held.FencingToken); // the token
                await Task.Yield();
            }
        }
        """);

    [Fact]
    public Task Try_followed_by_more_work_becomes_an_await_using_block() => Fix("""
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request)
            {
                var held = await store.ReserveAsync(request);
                try
                {
                    Console.WriteLine(held.FencingToken);
                }
                {|AGL006:finally|}
                {
                    await held.DisposeAsync();
                }

                Console.WriteLine("released");
            }

            public async Task TwiceAsync(IReservationStore store, ReservationRequest request)
            {
                var first = await store.ReserveAsync(request);
                try
                {
                    await Task.Yield();
                }
                {|AGL006:finally|}
                {
                    await first.DisposeAsync();
                }
            }
        }
        """, """
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request)
            {
                await using (var held = await store.ReserveAsync(request))
                {
                    Console.WriteLine(held.FencingToken);
                }

                Console.WriteLine("released");
            }

            public async Task TwiceAsync(IReservationStore store, ReservationRequest request)
            {
                await using var first = await store.ReserveAsync(request);
                await Task.Yield();
            }
        }
        """);

    [Fact]
    public Task Synchronous_release_becomes_using_and_comments_stay() => CodeFixAsync<ReleaseInFinallyAnalyzer, TryFinallyToAwaitUsingCodeFixProvider>(SyncHandle + """
        public class C
        {
            public void Run()
            {
                /* take it */ var held = SyncHandle.Acquire(); // now
                // work follows
                try
                {
                    Console.WriteLine(held.HandleLost); /* inline */
                }
                {|AGL006:finally|}
                {
                    held.Dispose();
                }

                // after the release
                Console.WriteLine("done");
            }
        }
        """, SyncHandle + """
        public class C
        {
            public void Run()
            {
                /* take it */ using (var held = SyncHandle.Acquire()) // now
                {
                    // work follows
                    Console.WriteLine(held.HandleLost); /* inline */
                }

                // after the release
                Console.WriteLine("done");
            }
        }
        """, equivalenceKey: TryFinallyToAwaitUsingCodeFixProvider.Key);

    [Fact]
    public Task Finally_that_does_more_than_release_is_silent() => AnalyzerAsync<ReleaseInFinallyAnalyzer>("""
        public class C
        {
            public async Task RunAsync(IReservationStore store, ReservationRequest request)
            {
                var held = await store.ReserveAsync(request);
                try { await Task.Yield(); }
                finally { Console.WriteLine("done"); await held.DisposeAsync(); }
                var other = await store.ReserveAsync(request);
                try { await Task.Yield(); }
                catch (InvalidOperationException) { }
                finally { await other.DisposeAsync(); }
            }
        }
        """);
}
