namespace AgentLocks.Cli.Tests;

public sealed class EnvelopeTests
{
    [Fact]
    public async Task Unknown_command_is_invalid_args_in_one_json_envelope()
    {
        var result = await CliRunner.RunAsync(["--json", "frobnicate"]);
        Assert.Equal(2, result.ExitCode);
        var envelope = result.Envelope;
        Assert.False(envelope.GetProperty("ok").GetBoolean());
        Assert.Equal("INVALID_ARGS", envelope.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, envelope.GetProperty("data").ValueKind);
    }

    [Fact]
    public async Task Errors_without_json_go_to_stderr_with_their_code()
    {
        var result = await CliRunner.RunAsync(["frobnicate"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Contains("INVALID_ARGS", result.Stderr, StringComparison.Ordinal);
    }
}
