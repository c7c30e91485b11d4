namespace ImmisciblePolicy.Robots;

/// <summary>How a robot merges incoming action chunks and when it asks for the next one.</summary>
/// <param name="Aggregation">overlap rule; LeRobot async inference blends.</param>
/// <param name="OldWeight">weight of the queued action in a blend; LeRobot's default 0.3.</param>
/// <param name="NewWeight">weight of the incoming action in a blend; LeRobot's default 0.7 (newer observations count more).</param>
/// <param name="ChunkThreshold">ask for a new chunk once queue length / chunk size is at or below this; LeRobot's default 0.5.</param>
public sealed record ActionQueueConfig(
    OverlapAggregation Aggregation = OverlapAggregation.Blend,
    double OldWeight = 0.3,
    double NewWeight = 0.7,
    double ChunkThreshold = 0.5)
{
    /// <summary>Throws when the weights are not a convex combination or the threshold is outside [0, 1].</summary>
    public void Validate()
    {
        if (!double.IsFinite(OldWeight) || !double.IsFinite(NewWeight) || OldWeight < 0 || NewWeight < 0 || Math.Abs(OldWeight + NewWeight - 1) > 1e-9)
            throw new ArgumentException(
                $"blend weights must be non-negative and sum to 1 (an average of two positions is a position); received old {OldWeight}, new {NewWeight}",
                nameof(OldWeight));
        if (!(ChunkThreshold >= 0 && ChunkThreshold <= 1))
            throw new ArgumentException($"chunk threshold must lie in [0, 1]; received {ChunkThreshold}", nameof(ChunkThreshold));
    }
}
