using System.Diagnostics;
using Npgsql;

namespace AgentLocks.Postgres.Tests;

/// <summary>
/// A data source on the test server that hands the statements of every command and batch it sends to
/// <c>sent</c>, through Npgsql's tracing filters (they run only while something listens to Npgsql's activities,
/// which this does until disposed). A store built on it shows what it sends.
/// </summary>
internal sealed class TracedDataSource : IAsyncDisposable
{
    private readonly ActivityListener _tracing = new()
    {
        ShouldListenTo = source => source.Name == "Npgsql",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
    };

    public TracedDataSource(Action<IReadOnlyList<string>> sent)
    {
        var builder = new NpgsqlDataSourceBuilder(PostgresTestServer.ConnectionString);
        builder.ConfigureTracing(o => o
            .ConfigureCommandFilter(c =>
            {
                sent([c.CommandText]);
                return true;
            })
            .ConfigureBatchFilter(b =>
            {
                sent([.. b.BatchCommands.Select((NpgsqlBatchCommand c) => c.CommandText)]);
                return true;
            }));
        DataSource = builder.Build();
        ActivitySource.AddActivityListener(_tracing);
    }

    public NpgsqlDataSource DataSource { get; }

    public async ValueTask DisposeAsync()
    {
        _tracing.Dispose();
        await DataSource.DisposeAsync();
    }
}
