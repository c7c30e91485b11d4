using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.Random;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// The Push-T task (gym-pusht PushTEnv / diffusion_policy PushTEnv): push the T block onto the goal
/// pose with a disc whose target position is the action. The physics is the reference's own, Chipmunk2D
/// 7 as pymunk steps it, ported to managed code (<see cref="PushTWorld"/>, <c>Physics/</c>) and checked
/// against the native libchipmunk7 (docs/benchmarks/pusht-physics.md).
/// </summary>
public sealed class PushTEnv : ISimTask
{
    private PushTWorld? _world;
    private PushTState _state;
    private int _steps;
    private bool _hasReset;

    public PushTEnv(PushTConfig? config = null)
    {
        Config = config ?? new PushTConfig();
        if (!Enum.IsDefined(Config.Observation))
        {
            throw new ArgumentException($"Unknown observation layout {Config.Observation}.", nameof(config));
        }

        if (Config.MaxSteps <= 0)
        {
            throw new ArgumentException($"MaxSteps must be positive; received {Config.MaxSteps}.", nameof(config));
        }

        if (Config.ControlHz <= 0 || Config.PhysicsHz % Config.ControlHz != 0)
        {
            throw new ArgumentException($"PhysicsHz must be a positive multiple of ControlHz; received {Config.PhysicsHz} and {Config.ControlHz}.", nameof(config));
        }
    }

    public PushTConfig Config { get; }

    public int ObservationSize => SizeOf(Config.Observation);

    /// <summary>Length of the observation vector of <paramref name="layout"/>: 5, 20 or 18.</summary>
    public static int SizeOf(PushTObservation layout) => layout switch
    {
        PushTObservation.State => 5,
        PushTObservation.Keypoints => (2 * TKeypoints.Count) + 2,
        PushTObservation.EnvironmentStateAgentPos => (2 * TBoxCorners.Count) + 2,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "unknown Push-T observation layout"),
    };

    public int ActionSize => 2;

    public int MaxSteps => Config.MaxSteps;

    public int ControlHz => Config.ControlHz;

    public int StepCount => _steps;

    /// <summary>The full dynamic state (a value copy).</summary>
    public PushTState State => _state;

    /// <summary>Coverage of the goal by the block at the current state.</summary>
    public double Coverage => TShape.Coverage(_state.Block, PushTConfig.GoalPose);

    /// <summary>The last (clipped) action applied, or null right after a reset.</summary>
    public Vec2? LastAction { get; private set; }

    /// <summary>
    /// Resets as gym-pusht's reset: <c>rs = np.random.RandomState(seed)</c>, agent =
    /// (randint(50, 450), randint(50, 450)), block = (randint(100, 400), randint(100, 400)),
    /// angle = randn() * 2 pi - pi (a wide Gaussian, not uniform), reproduced draw for draw by
    /// <see cref="LegacyRandomState"/>. The pose is applied in the legacy order of gym-pusht's
    /// _set_state (position, then angle about the centre of gravity), so the body origin ends up at
    /// p + c - R(angle) c with c = (0, 45); then one physics substep runs, as _set_state does.
    /// </summary>
    public double[] Reset(long seed)
    {
        var (agent, block, angle) = ResetDraws(seed);
        return ResetTo(agent, block, angle, legacyOrder: true);
    }

    /// <summary>gym-pusht's reset draws for <paramref name="seed"/> (see <see cref="Reset"/>).</summary>
    internal static (Vec2 Agent, Vec2 Block, double Angle) ResetDraws(long seed)
    {
        var rs = new LegacyRandomState(seed);
        double ax = rs.RandInt(50, 450), ay = rs.RandInt(50, 450);
        double bx = rs.RandInt(100, 400), by = rs.RandInt(100, 400);
        double angle = (rs.RandN() * 2 * Math.PI) - Math.PI;
        return (new Vec2(ax, ay), new Vec2(bx, by), angle);
    }

    /// <summary>
    /// Places agent and block explicitly, as gym-pusht's <c>reset(options={"reset_to_state": ...})</c>:
    /// a fresh space, the pose applied, then one physics substep. With <paramref name="legacyOrder"/> false
    /// the angle is set before the position, so the body origin lands on <paramref name="block"/>
    /// (diffusion_policy legacy=False).
    /// </summary>
    public double[] ResetTo(Vec2 agent, Vec2 block, double angle, bool legacyOrder = false)
    {
        if (!agent.IsFinite || !block.IsFinite || !double.IsFinite(angle))
        {
            throw new ArgumentException($"Reset state must be finite; received agent {agent}, block {block}, angle {angle}.", nameof(agent));
        }

        _world = PushTWorld.Create(agent, block, angle, legacyOrder, 1.0 / Config.PhysicsHz);
        _state = _world.State;
        _steps = 0;
        _hasReset = true;
        LastAction = null;
        return Observe();
    }

    /// <summary>A frozen copy of the whole environment (physics world with its contact cache, step count, last action).</summary>
    public PushTSnapshot Snapshot()
    {
        EnsureReset();
        return new PushTSnapshot(_world!.Clone(), _steps, LastAction);
    }

    /// <summary>Restores a <see cref="Snapshot"/>: the continuation is bit-identical to the original's.</summary>
    public void Restore(PushTSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _world = snapshot.World.Clone();
        _state = _world.State;
        _steps = snapshot.StepCount;
        _hasReset = true;
        LastAction = snapshot.LastAction;
    }

    /// <summary>
    /// Places the bodies at <paramref name="state"/> (positions and velocities) in a fresh space without a
    /// contact history, so cached impulses and broadphase ids start empty; the continuation can differ
    /// slightly from the run the state came from. Use <see cref="Snapshot"/> or <see cref="Clone"/> to continue
    /// exactly.
    /// </summary>
    public void Restore(PushTState state, int stepCount)
    {
        if (stepCount < 0)
        {
            throw new ArgumentException($"Step count must be non-negative; received {stepCount}.", nameof(stepCount));
        }

        if (!state.Agent.IsFinite || !state.AgentVelocity.IsFinite || !double.IsFinite(state.Block.X) || !double.IsFinite(state.Block.Y)
            || !double.IsFinite(state.Block.Angle) || !state.BlockVelocity.IsFinite || !double.IsFinite(state.BlockAngularVelocity))
        {
            throw new ArgumentException($"State must be finite; received {state}.", nameof(state));
        }

        _world = PushTWorld.FromState(state);
        _state = _world.State;
        _steps = stepCount;
        _hasReset = true;
    }

    /// <summary>
    /// One control step: 10 substeps of PD control then physics, as gym-pusht's step
    /// (acceleration = k_p (target - pos) + k_v (0 - vel); vel += acceleration dt; space.step(dt)).
    /// The action must be finite (NaN/inf throw). Deviation: the reference applies the raw target;
    /// we clip it to the action space [0, 512]^2 so an out-of-range policy output cannot fling the agent.
    /// </summary>
    public StepResult Step(ReadOnlySpan<double> action)
    {
        EnsureReset();
        Vec2 target = ActionValidation.ToClippedTarget(action, PushTConfig.WorldSize);
        int substeps = Config.PhysicsHz / Config.ControlHz;
        double dt = 1.0 / Config.PhysicsHz;
        for (int i = 0; i < substeps; i++)
        {
            _world!.Substep(target, Config.ProportionalGain, Config.DerivativeGain, dt);
        }

        _state = _world!.State;
        _steps++;
        LastAction = target;
        double coverage = Coverage;
        // reward = clip(coverage / 0.95, 0, 1); terminated = coverage > 0.95 (gym-pusht step).
        double reward = Math.Clamp(coverage / Config.SuccessThreshold, 0, 1);
        bool success = coverage > Config.SuccessThreshold;
        return new StepResult(Observe(), reward, success || _steps >= Config.MaxSteps, coverage, success);
    }

    public double[] Observe()
    {
        EnsureReset();
        if (Config.Observation == PushTObservation.State)
        {
            // block.angle % (2 pi) in Python is non-negative for a positive modulus.
            double wrapped = _state.Block.Angle % (2 * Math.PI);
            if (wrapped < 0)
            {
                wrapped += 2 * Math.PI;
            }

            return [_state.Agent.X, _state.Agent.Y, _state.Block.X, _state.Block.Y, wrapped];
        }

        // Block points then the agent: diffusion_policy's keypoints, or gym-pusht's environment_state + agent_pos.
        var points = Config.Observation == PushTObservation.Keypoints ? TKeypoints.World(_state.Block) : TBoxCorners.World(_state.Block);
        var obs = new double[ObservationSize];
        for (int i = 0; i < points.Length; i++)
        {
            obs[2 * i] = points[i].X;
            obs[(2 * i) + 1] = points[i].Y;
        }

        obs[^2] = _state.Agent.X;
        obs[^1] = _state.Agent.Y;
        return obs;
    }

    /// <summary>Deepest agent/block overlap in pixels (diagnostics and tests).</summary>
    public double AgentPenetration => PushTGeometry.AgentPenetration(_state);

    /// <summary>Deepest block excursion beyond the walls in pixels (diagnostics and tests).</summary>
    public double WallPenetration => PushTGeometry.WallPenetration(_state.Block);

    public PushTEnv Clone()
    {
        var copy = new PushTEnv(Config);
        copy._world = _world?.Clone();
        copy._state = _state;
        copy._steps = _steps;
        copy._hasReset = _hasReset;
        copy.LastAction = LastAction;
        return copy;
    }

    ISimTask ISimTask.Clone() => Clone();

    private void EnsureReset()
    {
        if (!_hasReset)
        {
            throw new InvalidOperationException("Call Reset(seed) before Step or Observe.");
        }
    }
}
