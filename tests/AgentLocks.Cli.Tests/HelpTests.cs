namespace AgentLocks.Cli.Tests;

/// <summary>
/// <c>--help</c> on every command: the usual layout, every option with what it means. The specs are walked, so a
/// command or an option added without a description fails here.
/// </summary>
public sealed class HelpTests
{
    public static TheoryData<string> Commands => [.. CliApp.Commands.Select(c => string.Join(' ', c.Words))];

    [Fact]
    public void Every_command_and_every_option_has_a_description()
    {
        var missing = CliApp.Commands
            .SelectMany(c => c.Options.Concat(c.Flags)
                .Where(o => CommandHelp.Option(c, o) is not { Description.Length: > 0 })
                .Select(o => $"{string.Join(' ', c.Words)} --{o}")
                .Concat(CommandHelp.About(c.Words) is { Summary.Length: > 0 } ? [] : [string.Join(' ', c.Words)]))
            .ToList();

        Assert.Empty(missing);
    }

    [Fact]
    public void A_command_whose_option_has_no_description_is_found()
    {
        var undescribed = new CommandSpec(["reserve"], "agent reserve", "reserve", ["colour"], [], (_, _) => throw new InvalidOperationException());

        Assert.Null(CommandHelp.Option(undescribed, "colour"));
        Assert.NotNull(CommandHelp.Option(undescribed, "ttl"));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_lists_usage_description_and_every_option_with_its_description(string command)
    {
        var spec = CliApp.Commands.Single(c => string.Join(' ', c.Words) == command);
        string[] words = [.. spec.Words];

        var help = await CliRunner.RunAsync([.. words, "--help"]);
        var shortForm = await CliRunner.RunAsync([.. words, "-h"]);
        var helpCommand = await CliRunner.RunAsync(["help", .. words]);

        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith($"Usage: agentlocks {spec.Usage}", help.Stdout, StringComparison.Ordinal);
        Assert.Contains(CommandHelp.About(spec.Words)!.Summary, help.Stdout, StringComparison.Ordinal);
        foreach (var option in spec.Options.Concat(spec.Flags))
        {
            var line = Assert.Single(help.Stdout.Split('\n'), l => l.TrimStart().StartsWith($"--{option}", StringComparison.Ordinal));
            Assert.EndsWith(CommandHelp.Option(spec, option)!.Description, line.TrimEnd(), StringComparison.Ordinal);
        }

        Assert.Contains("-h, --help", help.Stdout, StringComparison.Ordinal);
        Assert.Equal((0, help.Stdout), (shortForm.ExitCode, shortForm.Stdout));
        Assert.Equal((0, help.Stdout), (helpCommand.ExitCode, helpCommand.Stdout));
    }

    [Theory]
    [InlineData("lock", "collisions")]
    [InlineData("guard", "uninstall")]
    public async Task A_group_lists_its_commands(string group, string member)
    {
        var help = await CliRunner.RunAsync([group, "--help"]);
        var helpCommand = await CliRunner.RunAsync(["help", group]);
        var bare = await CliRunner.RunAsync([group]);

        Assert.Equal(0, help.ExitCode);
        Assert.Matches($@"(?m)^  {member} +\S", help.Stdout);
        Assert.Equal(help.Stdout, helpCommand.Stdout);
        Assert.Equal(2, bare.ExitCode);
    }

    [Fact]
    public async Task Top_level_help_lists_every_command_and_the_global_options()
    {
        var help = await CliRunner.RunAsync(["help"]);
        var json = await CliRunner.RunAsync(["--json", "-h"]);

        Assert.Equal(0, help.ExitCode);
        Assert.All(CliApp.Commands, c => Assert.Matches($@"(?m)^  {string.Join(' ', c.Words)} +\S", help.Stdout));
        Assert.All(["--root DIR", "--postgres CONN", "--repo DIR", "--json", "--version"], o => Assert.Contains(o, help.Stdout, StringComparison.Ordinal));
        Assert.Equal(help.Stdout.TrimEnd(), json.Succeeds("help").GetProperty("usage").GetString());
    }
}
