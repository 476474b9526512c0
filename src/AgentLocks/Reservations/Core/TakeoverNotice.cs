using System.Globalization;
using System.Security.Cryptography;

namespace AgentLocks;

/// <summary>
/// The message a previous holder gets when its reservation is taken over or swept after expiry, in beadboard's
/// mail format: category <c>HANDOFF</c> (which beadboard marks as requiring an acknowledgement), thread
/// <c>bead:&lt;bead&gt;</c>, state <c>unread</c>, and a <c>msg_&lt;time&gt;_&lt;hex&gt;</c> id like beadboard's.
/// </summary>
internal static class TakeoverNotice
{
    /// <summary>The sender of a sweep's notice, when no agent took the scope.</summary>
    public const string Sender = "agentlocks";

    /// <param name="previous">The reservation that ended.</param>
    /// <param name="by">The agent that took it over, or null when it was swept after expiry.</param>
    /// <param name="now">The store's time.</param>
    public static AgentMessage For(Reservation previous, AgentId? by, DateTimeOffset now)
    {
        var scope = previous.Scope.Value;
        var expired = UtcTimestampJsonConverter.Text(previous.ExpiresAt);
        var (subject, body) = by is { } taker
            ? ($"Reservation of {scope} taken over by {taker}",
               $"Your reservation of {scope} (bead {previous.BeadId}) expired at {expired} and was taken over by agent {taker} at {UtcTimestampJsonConverter.Text(now)}. Stop editing it; reserve it again or ask {taker} before you continue, then acknowledge this message.")
            : ($"Reservation of {scope} expired",
               $"Your reservation of {scope} (bead {previous.BeadId}) expired at {expired} and was swept at {UtcTimestampJsonConverter.Text(now)}; the scope is free for other agents. Reserve it again before you continue, then acknowledge this message.");
        return new AgentMessage
        {
            MessageId = string.Create(CultureInfo.InvariantCulture, $"msg_{now.UtcDateTime:yyyyMMdd_HHmmss}_{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}"),
            ThreadId = $"bead:{previous.BeadId}",
            BeadId = previous.BeadId.Value,
            FromAgent = by?.Value ?? Sender,
            ToAgent = previous.AgentId.Value,
            Category = "HANDOFF",
            Subject = subject,
            Body = body,
            State = "unread",
            RequiresAck = true,
            CreatedAt = now,
        };
    }
}
