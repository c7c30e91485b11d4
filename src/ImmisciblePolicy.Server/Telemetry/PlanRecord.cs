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
public sealed record MetricsRecord(string PolicyId, DateTimeOffset Time, double WindowSeconds, PlanStatisticsWindow Window, int QueueDepth);
