namespace ImmisciblePolicy.Server.Telemetry;

/// <summary>What the planning service reports per plan; a no-op when telemetry is disabled.</summary>
public sealed class PlanTelemetry(TelemetryHub? hub)
{
    /// <summary>The hub, or null when telemetry is off.</summary>
    public TelemetryHub? Hub { get; } = hub;

    /// <summary>Queues a <c>plan</c> message (never blocks).</summary>
    public void Plan(PlanRecord record)
    {
        if (Hub is null) return;
        Hub.Publish(TelemetryTopics.Plan, TelemetryEncoder.Plan(record));
    }

    /// <summary>Queues a <c>metrics</c> message (never blocks).</summary>
    public void Metrics(MetricsRecord record)
    {
        if (Hub is null) return;
        Hub.Publish(TelemetryTopics.Metrics, TelemetryEncoder.Metrics(record));
    }
}
