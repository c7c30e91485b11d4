using ImmisciblePolicy.Server.Inference;

namespace ImmisciblePolicy.Server.Telemetry;

/// <summary>The content of one <c>plan</c> telemetry message (keys in protos/README.md).</summary>
public sealed record PlanRecord(
    string PolicyId,
    PolicyVersion Version,
    string SessionId,
    long Timestep,
    DateTimeOffset ObservationTime,
    double[][] Observation,
    PlanOutcome Outcome,
    double TotalMs,
    DateTimeOffset Time);

/// <summary>The content of one <c>metrics</c> telemetry message.</summary>
/// <param name="NonFinite">replies of this policy refused for NaN/Inf actions since the start.</param>
/// <param name="Telemetry">the hub's counters since the start (null: not reported).</param>
public sealed record MetricsRecord(string PolicyId, DateTimeOffset Time, double WindowSeconds, PlanStatisticsWindow Window, int QueueDepth,
    long NonFinite = 0, TelemetryCounters? Telemetry = null);

/// <summary>Telemetry hub counters since the start.</summary>
/// <param name="Dropped">outgoing messages dropped because the publish queue was full.</param>
/// <param name="Relayed">robot messages relayed.</param>
/// <param name="Rejected">robot messages rejected (malformed, wrong schema, too large).</param>
/// <param name="SuppressedWarnings">rejection warnings held back by the rate limit.</param>
public sealed record TelemetryCounters(long Dropped, long Relayed, long Rejected, long SuppressedWarnings);
