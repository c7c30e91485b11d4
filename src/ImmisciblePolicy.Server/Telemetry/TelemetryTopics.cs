namespace ImmisciblePolicy.Server.Telemetry;

/// <summary>Topic frames of the telemetry stream (protos/README.md).</summary>
public static class TelemetryTopics
{
    /// <summary>Server: one per answered plan.</summary>
    public const string Plan = "plan";

    /// <summary>Server: per policy, once per metrics period.</summary>
    public const string Metrics = "metrics";

    /// <summary>Robot: one observation per control step.</summary>
    public const string Observation = "obs";

    /// <summary>Robot: one executed action per control step.</summary>
    public const string Executed = "executed";

    /// <summary>Schema version carried in every payload as <c>v</c>.</summary>
    public const int SchemaVersion = 1;
}
