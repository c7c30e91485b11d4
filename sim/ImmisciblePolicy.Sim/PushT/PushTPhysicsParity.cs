using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.PushT;

/// <summary>
/// Drives the managed Push-T physics and the native libchipmunk7 oracle (<see cref="PushTNativeReference"/>)
/// with the same states and actions and measures how far they drift apart; shared by the parity tests and
/// <c>immiscible bench physics</c> (docs/benchmarks/pusht-physics.md).
/// </summary>
internal static class PushTPhysicsParity
{
    /// <summary>Outcome of the single-step comparison.</summary>
    /// <param name="Cases">States compared.</param>
    /// <param name="Exact">Cases whose 10 state numbers agree bit for bit.</param>
    /// <param name="Pushed">Cases where the measured step moved the block by more than 0.01 px or 1e-4 rad.</param>
    /// <param name="MaxError">Largest absolute difference over all cases and state numbers.</param>
    public sealed record SingleStepReport(int Cases, int Exact, int Pushed, double MaxError);

    /// <summary>Outcome of replaying one action sequence open-loop in both engines.</summary>
    /// <param name="Seed">Reset seed (gym-pusht draws).</param>
    /// <param name="ErrorAfterStep">Largest absolute state difference after each control step (index t = after step t + 1).</param>
    public sealed record ReplayReport(long Seed, double[] ErrorAfterStep, double CoverageManaged, double CoverageNative, bool SuccessManaged, bool SuccessNative)
    {
        public double MaxError => ErrorAfterStep.Length == 0 ? 0 : ErrorAfterStep.Max();

        /// <summary>Same success flag and final coverage within 0.01.</summary>
        public bool Agrees => SuccessManaged == SuccessNative && Math.Abs(CoverageManaged - CoverageNative) <= 0.01;
    }

    /// <summary>Largest absolute difference over agent position and velocity, block pose, velocity and angular velocity.</summary>
    public static double StateError(PushTState a, PushTState b)
    {
        double[] x = Numbers(a), y = Numbers(b);
        double max = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double d = Math.Abs(x[i] - y[i]);
            max = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(max, d);
        }

        return max;
    }

    /// <summary>
    /// From <paramref name="cases"/> random states (a random reset pose, then 0-10 random control steps so that
    /// many states are mid-contact with cached impulses), one more random action in both engines; compares the
    /// states after it. Actions aim at the block half of the time, wander near the agent 40 % and jump anywhere 10 %.
    /// </summary>
    public static SingleStepReport SingleSteps(int cases, int seed, PushTConfig? config = null)
    {
        config ??= new PushTConfig();
        var rng = new System.Random(seed);
        int exact = 0, pushed = 0;
        double maxError = 0;
        double dt = 1.0 / config.PhysicsHz;
        for (int c = 0; c < cases; c++)
        {
            var agent = new Vec2(50 + (rng.NextDouble() * 400), 50 + (rng.NextDouble() * 400));
            var block = new Vec2(100 + (rng.NextDouble() * 300), 100 + (rng.NextDouble() * 300));
            double angle = (rng.NextDouble() * 2 * Math.PI) - Math.PI;
            var managed = PushTWorld.Create(agent, block, angle, legacyOrder: true, dt);
            using var native = PushTNativeReference.Create(agent, block, angle, legacyOrder: true, dt);
            int warmup = rng.Next(0, 11);
            for (int k = 0; k < warmup; k++)
            {
                var target = RandomTarget(rng, managed.State);
                ControlStep(managed, native, target, config);
            }

            var before = managed.State;
            ControlStep(managed, native, RandomTarget(rng, before), config);
            var after = managed.State;
            double error = StateError(after, native.State);
            exact += error == 0 ? 1 : 0;
            maxError = Math.Max(maxError, error);
            bool moved = (after.Block.Position - before.Block.Position).Length > 0.01 || Math.Abs(after.Block.Angle - before.Block.Angle) > 1e-4;
            pushed += moved ? 1 : 0;
        }

        return new SingleStepReport(cases, exact, pushed, maxError);
    }

    /// <summary>
    /// Resets both engines with gym-pusht's draws for <paramref name="seed"/> and replays <paramref name="actions"/>
    /// open-loop (clipped to [0, 512]^2 as <see cref="PushTEnv.Step"/> does), recording the state difference after
    /// every control step and the final coverage and success (coverage > threshold) of each engine.
    /// </summary>
    public static ReplayReport Replay(long seed, IReadOnlyList<double[]> actions, PushTConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(actions);
        config ??= new PushTConfig();
        double dt = 1.0 / config.PhysicsHz;
        var (agent, block, angle) = PushTEnv.ResetDraws(seed);
        var managed = PushTWorld.Create(agent, block, angle, legacyOrder: true, dt);
        using var native = PushTNativeReference.Create(agent, block, angle, legacyOrder: true, dt);
        var errors = new double[actions.Count];
        for (int t = 0; t < actions.Count; t++)
        {
            var target = ActionValidation.ToClippedTarget(actions[t], PushTConfig.WorldSize);
            ControlStep(managed, native, target, config);
            errors[t] = StateError(managed.State, native.State);
        }

        double coverageManaged = TShape.Coverage(managed.State.Block, PushTConfig.GoalPose);
        double coverageNative = TShape.Coverage(native.State.Block, PushTConfig.GoalPose);
        return new ReplayReport(seed, errors, coverageManaged, coverageNative,
            coverageManaged > config.SuccessThreshold, coverageNative > config.SuccessThreshold);
    }

    /// <summary>
    /// How fast a tiny difference grows: replays <paramref name="actions"/> twice in the managed engine, once with
    /// the initial block angle offset by <paramref name="angleOffset"/> radians, and returns the state difference
    /// after every control step. Contact-rich pushing is chaotic, so this is the drift any non-bit-exact
    /// reimplementation would show.
    /// </summary>
    public static double[] Sensitivity(long seed, IReadOnlyList<double[]> actions, double angleOffset, PushTConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(actions);
        config ??= new PushTConfig();
        double dt = 1.0 / config.PhysicsHz;
        int substeps = config.PhysicsHz / config.ControlHz;
        var (agent, block, angle) = PushTEnv.ResetDraws(seed);
        var a = PushTWorld.Create(agent, block, angle, legacyOrder: true, dt);
        var b = PushTWorld.Create(agent, block, angle + angleOffset, legacyOrder: true, dt);
        var errors = new double[actions.Count];
        for (int t = 0; t < actions.Count; t++)
        {
            var target = ActionValidation.ToClippedTarget(actions[t], PushTConfig.WorldSize);
            for (int i = 0; i < substeps; i++)
            {
                a.Substep(target, config.ProportionalGain, config.DerivativeGain, dt);
                b.Substep(target, config.ProportionalGain, config.DerivativeGain, dt);
            }

            errors[t] = StateError(a.State, b.State);
        }

        return errors;
    }

    private static void ControlStep(PushTWorld managed, PushTNativeReference native, Vec2 target, PushTConfig config)
    {
        int substeps = config.PhysicsHz / config.ControlHz;
        double dt = 1.0 / config.PhysicsHz;
        for (int i = 0; i < substeps; i++)
        {
            managed.Substep(target, config.ProportionalGain, config.DerivativeGain, dt);
            native.Substep(target, config.ProportionalGain, config.DerivativeGain, dt);
        }
    }

    private static Vec2 RandomTarget(System.Random rng, PushTState state)
    {
        double u = rng.NextDouble();
        Vec2 target = u < 0.5
            ? state.BlockCenterOfGravity + new Vec2((rng.NextDouble() - 0.5) * 160, (rng.NextDouble() - 0.5) * 160)
            : u < 0.9
                ? state.Agent + new Vec2((rng.NextDouble() - 0.5) * 120, (rng.NextDouble() - 0.5) * 120)
                : new Vec2(rng.NextDouble() * 512, rng.NextDouble() * 512);
        return new Vec2(Math.Clamp(target.X, 0, PushTConfig.WorldSize), Math.Clamp(target.Y, 0, PushTConfig.WorldSize));
    }

    private static double[] Numbers(PushTState s) =>
    [
        s.Agent.X, s.Agent.Y, s.AgentVelocity.X, s.AgentVelocity.Y, s.Block.X, s.Block.Y, s.Block.Angle,
        s.BlockVelocity.X, s.BlockVelocity.Y, s.BlockAngularVelocity,
    ];
}
