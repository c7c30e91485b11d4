using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Bimodal;

/// <summary>
/// Scripted demonstrator for <see cref="BimodalReachEnv"/>: goes round the obstacle on a chosen
/// side through two jittered waypoints, then to the goal. Episode i goes Left when i is even and
/// Right when odd, so any even number of demonstrations is exactly balanced.
/// Actions are a carrot at most <see cref="MaxLead"/> px ahead of the agent along the path, which
/// gives smooth, human-like target sequences instead of jumps to far waypoints.
/// </summary>
public sealed class BimodalReachExpert
{
    /// <summary>How far ahead of the agent the commanded target may be (pixels).</summary>
    public const double MaxLead = 45;

    /// <summary>Lateral clearance of the side waypoints beyond the obstacle edge (pixels).</summary>
    public const double Clearance = 45;

    private readonly Vec2[] _waypoints;
    private int _next;

    public BimodalReachExpert(BimodalReachConfig config, ReachMode side, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (side == ReachMode.None)
        {
            throw new ArgumentException("The expert needs a side: Left or Right; received None.", nameof(side));
        }

        var rng = new System.Random(seed);
        double sign = side == ReachMode.Left ? -1 : 1;
        double x = BimodalReachConfig.CentreX + (sign * (config.ObstacleHalfWidth + Clearance + (rng.NextDouble() * 20)));
        _waypoints =
        [
            new Vec2(x, config.ObstacleBottom + 25 + (rng.NextDouble() * 20)),
            new Vec2(x, config.ObstacleTop - 25 - (rng.NextDouble() * 20)),
            config.Goal,
        ];
        Side = side;
    }

    public ReachMode Side { get; }

    /// <summary>Side for the i-th demonstration (alternating, so halves are balanced).</summary>
    public static ReachMode SideForEpisode(int episode) => episode % 2 == 0 ? ReachMode.Left : ReachMode.Right;

    /// <summary>Runs from the environment's current state until the episode ends.</summary>
    /// <param name="observed">called with the environment right after each observation is recorded, before its action
    /// is applied (a camera renders the frame that goes with that observation).</param>
    public ExpertEpisode Run(BimodalReachEnv env, Action<ISimTask>? observed = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        var observations = new List<double[]>();
        var actions = new List<double[]>();
        var rewards = new List<double>();
        double maxScore = 0;
        StepResult? last = null;
        while (last is not { Done: true })
        {
            var action = Act(env.Agent);
            observations.Add(env.Observe());
            observed?.Invoke(env);
            actions.Add(action);
            last = env.Step(action);
            rewards.Add(last.Reward);
            maxScore = Math.Max(maxScore, last.Score);
        }

        return new ExpertEpisode(observations, actions, rewards, last.Score, maxScore, last.Success);
    }

    /// <summary>Next action (target position) for the agent at <paramref name="agent"/>.</summary>
    public double[] Act(Vec2 agent)
    {
        while (_next < _waypoints.Length - 1 && (_waypoints[_next] - agent).Length < 20)
        {
            _next++;
        }

        Vec2 d = _waypoints[_next] - agent;
        double len = d.Length;
        Vec2 target = len <= MaxLead ? _waypoints[_next] : agent + (d * (MaxLead / len));
        return [target.X, target.Y];
    }
}
