using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AgentLocks.Postgres.Tests;

public sealed class FaultTests
{
    /// <summary>Every kind of call a user makes first, on both stores: each must fail the same clear way.</summary>
    public static TheoryData<string> Calls { get; } = ["reserve", "register", "status", "lock acquire", "lock status"];

    [Theory]
    [InlineData("this is not a connection string")]
    [InlineData("Host=127.0.0.1;Port=not-a-port")]
    [InlineData("Port=5432;Username=postgres")]
    public void A_malformed_connection_string_is_invalid_args(string connectionString)
    {
        foreach (var open in new Func<IAsyncDisposable>[] { () => new PostgresWorkerIdentityLocks(connectionString), () => new PostgresReservationStore(connectionString) })
        {
            var e = Assert.Throws<AgentLocksException>(open);
            Assert.Equal(ErrorCode.InvalidArgs, e.Code);
            Assert.Contains("connection string", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_closed_port_is_a_clear_internal_error_naming_the_server(string call)
    {
        var port = ClosedPort();
        var e = await Assert.ThrowsAsync<AgentLocksException>(() => CallAsync(call, $"Host=127.0.0.1;Port={port};Username=postgres;Timeout=5", CancellationToken.None));
        Assert.Equal(ErrorCode.InternalError, e.Code);
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.Contains("Could not connect", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_server_that_never_answers_fails_within_the_callers_deadline(string call)
    {
        // Accepts the TCP connection and then says nothing, like a hung server or a black-holed route.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<AgentLocksException>(() => CallAsync(call, $"Host=127.0.0.1;Port={port};Username=postgres;Timeout=60", deadline.Token));
        Assert.Equal(ErrorCode.InternalError, e.Code);
        Assert.Contains("deadline", e.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_wrong_database_or_user_is_a_clear_internal_error_naming_it(string call)
    {
        foreach (var (setting, name) in new[] { ("Database", "no_such_database_here"), ("Username", "no_such_role_here") })
        {
            var e = await Assert.ThrowsAsync<AgentLocksException>(() => CallAsync(call, $"{PostgresTestServer.ConnectionString};{setting}={name}", CancellationToken.None));
            Assert.Equal(ErrorCode.InternalError, e.Code);
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
        }
    }

    private static async Task CallAsync(string call, string connectionString, CancellationToken cancellationToken)
    {
        var worker = WorkerId.Parse("w1");
        var agent = AgentId.Parse("agent-a");
        await using var store = new PostgresReservationStore(connectionString);
        await using var locks = new PostgresWorkerIdentityLocks(connectionString);
        switch (call)
        {
            case "reserve":
                await using (await store.ReserveAsync(new ReservationRequest(agent, ScopePattern.Parse("src/**"), BeadId.Parse("bd-1")), cancellationToken))
                {
                }

                break;
            case "register":
                await store.RegisterAgentAsync(agent, cancellationToken: cancellationToken);
                break;
            case "status":
                await store.GetStatusAsync(cancellationToken: cancellationToken);
                break;
            case "lock acquire":
                await using (await locks.ForWorker(worker).AcquireAsync(cancellationToken: cancellationToken))
                {
                }

                break;
            default:
                await locks.ForWorker(worker).GetStatusAsync(cancellationToken);
                break;
        }
    }

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
