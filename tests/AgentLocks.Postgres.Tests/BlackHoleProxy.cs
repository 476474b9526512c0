using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// A TCP proxy in front of the test server whose links can go silent, like a cut cable or a dead machine: from
/// <see cref="GoSilent"/> on nothing is forwarded in either direction, yet every socket stays open (no FIN, no RST),
/// so neither end is told anything. Connections made while silent are accepted and swallowed the same way.
/// <see cref="Heal"/> forwards new connections again; the silenced ones stay dead, as after a failover.
/// </summary>
internal sealed class BlackHoleProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly DnsEndPoint _server;
    private readonly CancellationTokenSource _closing = new();
    private readonly List<Link> _links = [];
    private readonly List<Task> _pumps = [];
    private readonly TaskCompletionSource _swallowed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _serverHungUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _accepting;
    private TaskCompletionSource _nextReply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _silent;

    public BlackHoleProxy(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        _server = new DnsEndPoint(settings.Host!, settings.Port);
        _listener.Start();
        settings.Host = "127.0.0.1";
        settings.Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        ConnectionString = settings.ConnectionString;
        _accepting = AcceptAsync();
    }

    /// <summary>The server's connection string with this proxy as host and port.</summary>
    public string ConnectionString { get; }

    /// <summary>Completes when the server's next answer (anything it sends after this is read) reaches a client.</summary>
    public Task NextReply => Volatile.Read(ref _nextReply).Task;

    /// <summary>Completes when a client sent something into a silent link.</summary>
    public Task Swallowed => _swallowed.Task;

    /// <summary>Completes when the server closed a silent link (nobody is told).</summary>
    public Task ServerHungUp => _serverHungUp.Task;

    /// <summary>From now on nothing is forwarded on any link, old or new, and no socket is closed.</summary>
    public void GoSilent()
    {
        lock (_links)
        {
            _silent = true;
            _links.ForEach(link => link.Silent = true);
        }
    }

    /// <summary>New connections are forwarded again; those silenced stay silent.</summary>
    public void Heal()
    {
        lock (_links)
        {
            _silent = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _listener.Stop();
        Task[] pumps;
        lock (_links)
        {
            _links.ForEach(link => link.Dispose());
            pumps = [.. _pumps];
        }

        // The pumps end with their sockets; how they end does not matter any more.
        await Task.WhenAll([_accepting, .. pumps]).ContinueWith(static _ => { }, TaskScheduler.Default);
        _closing.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_closing.IsCancellationRequested)
        {
            var link = new Link(await _listener.AcceptSocketAsync(_closing.Token));
            lock (_links)
            {
                link.Silent = _silent;
                _links.Add(link);
            }

            if (!link.Silent)
            {
                await link.Server.ConnectAsync(_server, _closing.Token);
                Run(() => PumpAsync(link, link.Server, link.Client, toServer: false));
            }

            Run(() => PumpAsync(link, link.Client, link.Server, toServer: true));
        }
    }

    private void Run(Func<Task> pump)
    {
        lock (_links)
        {
            _pumps.Add(Task.Run(pump));
        }
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> while the link is not silent, then reads and drops.</summary>
    private async Task PumpAsync(Link link, Socket from, Socket to, bool toServer)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, _closing.Token);
            if (link.Silent)
            {
                if (read == 0)
                {
                    // One end closed its side; the other is not told, as with a cut cable.
                    if (!toServer)
                    {
                        _serverHungUp.TrySetResult();
                    }

                    return;
                }

                if (toServer)
                {
                    _swallowed.TrySetResult();
                }

                continue;
            }

            if (read == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }

            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _closing.Token);
            if (!toServer)
            {
                Interlocked.Exchange(ref _nextReply, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
    }

    /// <summary>One client connection and the proxy's connection to the server for it.</summary>
    private sealed class Link(Socket client) : IDisposable
    {
        public Socket Client { get; } = client;

        public Socket Server { get; } = new(SocketType.Stream, ProtocolType.Tcp);

        public volatile bool Silent;

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }
}
