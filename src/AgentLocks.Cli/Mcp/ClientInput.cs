namespace AgentLocks.Cli.Mcp;

/// <summary>
/// The server's stdin, which says when the client has gone: the end of the stream cancels <see cref="Gone"/>. The
/// SDK waits for calls in progress before it ends, and a reserve that waits for another agent may wait long, so
/// calls are cancelled on this token: a client that leaves mid-call leaves nothing waiting and nothing granted.
/// </summary>
internal sealed class ClientInput(Stream inner) : Stream
{
    private readonly CancellationTokenSource _gone = new();

    public CancellationToken Gone => _gone.Token;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Seen(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => Seen(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _gone.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Seen(int read)
    {
        if (read == 0)
        {
            _gone.Cancel();
        }

        return read;
    }
}
