using System.Text.Json.Serialization;

namespace AgentLocks;

/// <summary>
/// A tmux session (<c>$3</c> or a session name), window (<c>@2</c>) or pane (<c>%12</c>) that holds a worker identity; <see cref="Kind"/> tells which.
/// </summary>
/// <remarks>Usage: <c>var id = SessionId.Parse("gt-polecat-1");</c></remarks>
[JsonConverter(typeof(TypedIdJsonConverter<SessionId>))]
[TypedId(Example = "gt-polecat-1")]
public readonly partial struct SessionId
{
    /// <summary>What kind of tmux object this ID names: gastown records pane IDs (<c>%12</c>) where it means sessions.</summary>
    /// <remarks>Usage: <c>if (session.Kind == TmuxTargetKind.PaneId) { ... }</c></remarks>
    public TmuxTargetKind Kind => Value switch
    {
        ['$', .. var n] when IsNumber(n) => TmuxTargetKind.SessionId,
        ['@', .. var n] when IsNumber(n) => TmuxTargetKind.WindowId,
        ['%', .. var n] when IsNumber(n) => TmuxTargetKind.PaneId,
        _ => TmuxTargetKind.SessionName,
    };

    private static bool IsNumber(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);

    private static string? Validate(ref string text) => IdRules.SessionId(text);
}
