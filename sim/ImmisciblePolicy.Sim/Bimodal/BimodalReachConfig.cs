using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Bimodal;

/// <summary>
/// Layout of the bimodal reaching task, in the same 512 x 512 pixel world and with the same agent
/// (disc of radius 15, PD-tracked target position, 10 Hz control, 100 Hz physics) as Push-T. The
/// layout is mirror-symmetric about x = 256, so going round left or right is equally good.
/// </summary>
/// <param name="StartY">Agent start height (below the obstacle; y grows downwards).</param>
/// <param name="StartJitter">Half-width of the uniform jitter of the start position on each axis.</param>
/// <param name="ObstacleHalfWidth">Obstacle box half-width: wide enough that a straight line is blocked.</param>
/// <param name="ObstacleHalfHeight">Obstacle box half-height.</param>
/// <param name="GoalY">Goal centre height (above the obstacle), on the symmetry axis.</param>
/// <param name="GoalRadius">Success when the agent centre is within this distance of the goal.</param>
/// <param name="MaxSteps">Episode limit: 80 control steps (8 s), ~2.5x what the expert needs.</param>
public sealed record BimodalReachConfig(
    double StartY = 440,
    double StartJitter = 8,
    double ObstacleHalfWidth = 110,
    double ObstacleHalfHeight = 50,
    double GoalY = 70,
    double GoalRadius = 20,
    int MaxSteps = 80)
{
    /// <summary>Symmetry axis and obstacle centre x.</summary>
    public const double CentreX = 256;

    /// <summary>Obstacle centre y (the middle of the world).</summary>
    public const double ObstacleCentreY = 256;

    public Vec2 Goal => new(CentreX, GoalY);

    public double ObstacleTop => ObstacleCentreY - ObstacleHalfHeight;

    public double ObstacleBottom => ObstacleCentreY + ObstacleHalfHeight;

    public double ObstacleLeft => CentreX - ObstacleHalfWidth;

    public double ObstacleRight => CentreX + ObstacleHalfWidth;
}
