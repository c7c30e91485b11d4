using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Bimodal;

/// <summary>
/// A deliberately bimodal task for measuring mode collapse (cf. "Immiscible Diffusion Policy",
/// REFERENCE.md section 1): the agent starts below a wide box obstacle and must reach a goal
/// straight above it; the two ways round (left, right) are mirror images and equally good.
/// Observation: [agent x, agent y]. Action: target position in [0, 512]^2, tracked by the Push-T
/// PD controller. Reward: 1 on the step the agent is within GoalRadius of the goal (success, the
/// episode ends), else 0. Score: 1 - distance to goal / initial distance, clipped to [0, 1].
/// The agent cannot enter the obstacle: after every substep it is projected out of the box
/// inflated by its radius and its velocity into the box is removed.
/// </summary>
public sealed class BimodalReachEnv : ISimTask
{
    /// <summary>PD gains and rates shared with Push-T (gym-pusht k_p = 100, k_v = 20, dt = 0.01, 10 Hz).</summary>
    private const double Kp = 100, Kv = 20, Dt = 0.01;
    private const int Substeps = 10;

    /// <summary>Agent radius as Push-T's agent (15 px).</summary>
    public const double AgentRadius = 15;

    private Vec2 _agent;
    private Vec2 _velocity;
    private double _initialDistance = 1;
    private int _steps;
    private bool _hasReset;

    public BimodalReachEnv(BimodalReachConfig? config = null)
    {
        Config = config ?? new BimodalReachConfig();
        if (Config.MaxSteps <= 0 || Config.GoalRadius <= 0 || Config.GoalY >= Config.ObstacleTop - AgentRadius
            || Config.StartY <= Config.ObstacleBottom + AgentRadius)
        {
            throw new ArgumentException($"Inconsistent layout: start must be below and goal above the obstacle; received {Config}.", nameof(config));
        }
    }

    public BimodalReachConfig Config { get; }

    public int ObservationSize => 2;

    public int ActionSize => 2;

    public int MaxSteps => Config.MaxSteps;

    public int ControlHz => 10;

    public int StepCount => _steps;

    /// <summary>Current agent position.</summary>
    public Vec2 Agent => _agent;

    /// <summary>Starts at (256 + U(-j, j), StartY + U(-j, j)) from System.Random(seed) (deterministic per seed).</summary>
    public double[] Reset(long seed)
    {
        var rng = new System.Random(unchecked((int)seed ^ (int)(seed >> 32)));
        double j = Config.StartJitter;
        _agent = new Vec2(BimodalReachConfig.CentreX + ((rng.NextDouble() * 2 - 1) * j), Config.StartY + ((rng.NextDouble() * 2 - 1) * j));
        _velocity = Vec2.Zero;
        _initialDistance = Math.Max((_agent - Config.Goal).Length, 1e-9);
        _steps = 0;
        _hasReset = true;
        return Observe();
    }

    public StepResult Step(ReadOnlySpan<double> action)
    {
        EnsureReset();
        Vec2 target = ActionValidation.ToClippedTarget(action, 512);
        for (int i = 0; i < Substeps; i++)
        {
            Vec2 accel = (Kp * (target - _agent)) - (Kv * _velocity);
            _velocity += accel * Dt;
            _agent += _velocity * Dt;
            ResolveObstacle();
        }

        _steps++;
        double distance = (_agent - Config.Goal).Length;
        bool success = distance < Config.GoalRadius;
        double score = Math.Clamp(1 - (distance / _initialDistance), 0, 1);
        return new StepResult(Observe(), success ? 1 : 0, success || _steps >= Config.MaxSteps, score, success);
    }

    public double[] Observe()
    {
        EnsureReset();
        return [_agent.X, _agent.Y];
    }

    public BimodalReachEnv Clone()
    {
        var c = new BimodalReachEnv(Config)
        {
            _agent = _agent,
            _velocity = _velocity,
            _initialDistance = _initialDistance,
            _steps = _steps,
            _hasReset = _hasReset,
        };
        return c;
    }

    ISimTask ISimTask.Clone() => Clone();

    /// <summary>
    /// Labels a trajectory of agent positions: Left/Right if it got above the obstacle
    /// (y &lt; ObstacleTop) and every position level with the obstacle was on that side of x = 256;
    /// None if it never got past or was level with the obstacle on both sides.
    /// </summary>
    public static ReachMode ModeOf(IReadOnlyList<Vec2> trajectory, BimodalReachConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        var cfg = config ?? new BimodalReachConfig();
        bool left = false, right = false, passed = false;
        foreach (var p in trajectory)
        {
            if (!p.IsFinite)
            {
                throw new ArgumentException($"Trajectory positions must be finite; received {p}.", nameof(trajectory));
            }

            if (p.Y >= cfg.ObstacleTop && p.Y <= cfg.ObstacleBottom)
            {
                left |= p.X < BimodalReachConfig.CentreX;
                right |= p.X > BimodalReachConfig.CentreX;
            }

            passed |= p.Y < cfg.ObstacleTop;
        }

        return !passed || left == right ? ReachMode.None : left ? ReachMode.Left : ReachMode.Right;
    }

    private void ResolveObstacle()
    {
        // Distance from the agent centre to the obstacle box; inside the radius means overlap.
        double cx = Math.Clamp(_agent.X, Config.ObstacleLeft, Config.ObstacleRight);
        double cy = Math.Clamp(_agent.Y, Config.ObstacleTop, Config.ObstacleBottom);
        Vec2 d = _agent - new Vec2(cx, cy);
        double dist = d.Length;
        Vec2 normal;
        double push;
        if (dist > 1e-12)
        {
            if (dist >= AgentRadius)
            {
                return;
            }

            normal = d / dist;
            push = AgentRadius - dist;
        }
        else
        {
            // Centre inside the box: leave through the nearest face.
            double[] exits = [_agent.X - Config.ObstacleLeft, Config.ObstacleRight - _agent.X, _agent.Y - Config.ObstacleTop, Config.ObstacleBottom - _agent.Y];
            Vec2[] normals = [new(-1, 0), new(1, 0), new(0, -1), new(0, 1)];
            int best = 0;
            for (int i = 1; i < 4; i++)
            {
                best = exits[i] < exits[best] ? i : best;
            }

            normal = normals[best];
            push = exits[best] + AgentRadius;
        }

        _agent += normal * push;
        double into = Vec2.Dot(_velocity, normal);
        if (into < 0)
        {
            _velocity -= normal * into;
        }
    }

    private void EnsureReset()
    {
        if (!_hasReset)
        {
            throw new InvalidOperationException("Call Reset(seed) before Step or Observe.");
        }
    }
}
