namespace AgentLocks;

/// <summary>The kinds of tmux target a <see cref="SessionId"/> can name.</summary>
/// <remarks>Usage: <c>session.Kind == TmuxTargetKind.SessionName</c></remarks>
public enum TmuxTargetKind
{
    /// <summary>A session name such as <c>gt-polecat-1</c>.</summary>
    SessionName,

    /// <summary>A session ID such as <c>$3</c>.</summary>
    SessionId,

    /// <summary>A window ID such as <c>@2</c>.</summary>
    WindowId,

    /// <summary>A pane ID such as <c>%12</c>.</summary>
    PaneId,
}
