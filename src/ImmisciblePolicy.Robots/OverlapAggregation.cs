namespace ImmisciblePolicy.Robots;

/// <summary>What the action queue does when a new chunk covers a timestep the queue already holds.</summary>
public enum OverlapAggregation
{
    /// <summary>Weighted average old * w_old + new * w_new (LeRobot's default aggregate, 0.3 / 0.7).</summary>
    Blend,
    /// <summary>The newer chunk wins (weights 0 / 1); it saw the more recent observation.</summary>
    Replace,
}
