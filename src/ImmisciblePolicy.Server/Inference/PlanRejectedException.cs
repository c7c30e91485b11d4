namespace ImmisciblePolicy.Server.Inference;

/// <summary>Why a request was not planned although it was valid.</summary>
public enum PlanRejection
{
    /// <summary>The policy's queue is full (back-pressure; the client may retry later).</summary>
    QueueFull,
    /// <summary>The policy was unloaded or replaced while the request waited.</summary>
    PolicyUnavailable,
    /// <summary>The network failed; details are in the server log only.</summary>
    PlanningFailed,
}

/// <summary>A valid request the server could not plan; the message is safe to show to clients.</summary>
public sealed class PlanRejectedException(PlanRejection reason, string message) : Exception(message)
{
    /// <summary>Why.</summary>
    public PlanRejection Reason { get; } = reason;
}
