using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AgentLocks.Postgres.Tests;

public sealed class FaultTests
{
    [Theory]
    [InlineData("this is not a connection string")]
    [InlineData("Host=127.0.0.1;Port=not-a-port")]
    [InlineData("Port=5432;Username=postgres")]
    public void A_malformed_connection_string_is_invalid_args(string connectionString)
    {
        var e = Assert.Throws<AgentLocksException>(() => new PostgresWorkerIdentityLock(connectionString));
        Assert.Equal(ErrorCode.InvalidArgs, e.Code);
        Assert.Contains("connection string", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_is_a_clear_internal_error_naming_the_server()
    {
        var port = ClosedPort();
        await using var locks = new PostgresWorkerIdentityLock($"Host=127.0.0.1;Port={port};Username=postgres;Timeout=5");

        var e = await Assert.ThrowsAsync<AgentLocksException>(() => locks.GetStatusAsync(WorkerId.Parse("w1")));
        Assert.Equal(ErrorCode.InternalError, e.Code);
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.Contains("Could not connect", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_fails_within_the_callers_deadline()
    {
        // Accepts the TCP connection and then says nothing, like a hung server or a black-holed route.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var locks = new PostgresWorkerIdentityLock($"Host=127.0.0.1;Port={port};Username=postgres;Timeout=60");
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<AgentLocksException>(() => locks.AcquireAsync(WorkerId.Parse("w1"), cancellationToken: deadline.Token));
        Assert.Equal(ErrorCode.InternalError, e.Code);
        Assert.Contains("deadline", e.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_wrong_database_is_a_clear_internal_error()
    {
        var connectionString = PostgresTestServer.ConnectionString + ";Database=no_such_database_here";
        await using var locks = new PostgresWorkerIdentityLock(connectionString);
        var e = await Assert.ThrowsAsync<AgentLocksException>(() => locks.GetStatusAsync(WorkerId.Parse("w1")));
        Assert.Equal(ErrorCode.InternalError, e.Code);
        Assert.Contains("no_such_database_here", e.Message, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
