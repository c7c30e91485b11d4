using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Sim.Tests;

public sealed class PushTEnvTests
{
    private static readonly Pose2 Goal = PushTConfig.GoalPose;

    /// <summary>Block at the goal shifted by dx along world x, agent parked far away and held still.</summary>
    private static StepResult StepWithBlockShifted(double dx)
    {
        var env = new PushTEnv();
        env.ResetTo(new Vec2(40, 470), new Vec2(Goal.X + dx, Goal.Y), Goal.Angle);
        return env.Step([40, 470]);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(6.0)]
    [InlineData(400.0)]
    public void Reward_IsCoverageOverThreshold_AndSuccessAboveIt(double dx)
    {
        var r = StepWithBlockShifted(dx);
        double coverage = TShape.Coverage(new Pose2(Goal.X + dx, Goal.Y, Goal.Angle), Goal);
        Assert.Equal(coverage, r.Score, 12);
        Assert.Equal(Math.Clamp(coverage / 0.95, 0, 1), r.Reward, 12);
        Assert.Equal(coverage > 0.95, r.Success);
        Assert.Equal(coverage > 0.95, r.Done);
    }

    [Fact]
    public void Thresholds_StraddleTheShiftsUsedAbove()
    {
        // Guards the theory above against vacuity: the shifts cover success, partial reward and zero.
        Assert.True(StepWithBlockShifted(0.5).Success);
        var partial = StepWithBlockShifted(6.0);
        Assert.False(partial.Success);
        Assert.InRange(partial.Reward, 0.5, 0.999);
        Assert.Equal(0.0, StepWithBlockShifted(400.0).Reward);
    }

    [Fact]
    public void Episode_EndsAtMaxSteps()
    {
        var env = new PushTEnv(new PushTConfig(MaxSteps: 5));
        env.ResetTo(new Vec2(40, 470), new Vec2(300, 150), 0);
        for (int i = 0; i < 4; i++)
        {
            Assert.False(env.Step([40, 470]).Done);
        }

        Assert.True(env.Step([40, 470]).Done);
    }

    [Theory]
    [InlineData(double.NaN, 10.0)]
    [InlineData(10.0, double.PositiveInfinity)]
    public void Step_RejectsNonFiniteActions(double x, double y)
    {
        var env = new PushTEnv();
        env.Reset(0);
        var ex = Assert.Throws<ArgumentException>(() => env.Step([x, y]));
        Assert.Equal("action", ex.ParamName);
    }

    [Fact]
    public void Step_RejectsWrongLength_AndClipsOutOfRangeTargets()
    {
        var env = new PushTEnv();
        env.ResetTo(new Vec2(40, 470), new Vec2(300, 150), 0);
        Assert.Throws<ArgumentException>(() => env.Step([1, 2, 3]));
        env.Step([-100, 900]);
        Assert.Equal(new Vec2(0, 512), env.LastAction);
    }

    [Fact]
    public void Step_BeforeReset_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => new PushTEnv().Step([1, 1]));
    }

    [Fact]
    public void KeypointObservation_IsNineRigidKeypointsThenAgent()
    {
        var env = new PushTEnv(new PushTConfig(Observation: PushTObservation.Keypoints));
        var obs = env.Reset(5);
        Assert.Equal(20, env.ObservationSize);
        Assert.Equal(20, obs.Length);
        var expected = TKeypoints.World(env.State.Block);
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(expected[i].X, obs[2 * i], 12);
            Assert.Equal(expected[i].Y, obs[(2 * i) + 1], 12);
        }

        Assert.Equal(env.State.Agent.X, obs[18]);
        Assert.Equal(env.State.Agent.Y, obs[19]);
    }

    [Fact]
    public void StateObservation_WrapsAngleIntoZeroTwoPi()
    {
        var env = new PushTEnv();
        var obs = env.ResetTo(new Vec2(40, 470), new Vec2(300, 150), -0.5);
        Assert.Equal((2 * Math.PI) - 0.5, obs[4], 12);
    }

    [Fact]
    public void Clone_IsIndependent_AndReplaysIdentically()
    {
        var env = new PushTEnv();
        env.Reset(12);
        var clone = env.Clone();
        var a = env.Step([200, 200]);
        var b = clone.Step([200, 200]);
        Assert.Equal(a.Observation, b.Observation);
        clone.Step([0, 0]);
        Assert.NotEqual(env.Observe(), clone.Observe());
        Assert.Equal(1, env.StepCount);
        Assert.Equal(2, clone.StepCount);
    }

    /// <summary>An environment pushing the T's stem upward, so contacts (and cached impulses) are live.</summary>
    private static PushTEnv MidContact()
    {
        var env = new PushTEnv();
        env.ResetTo(new Vec2(256, 360), new Vec2(256, 200), 0.1);
        for (int i = 0; i < 5; i++)
        {
            env.Step([256, 290]);
        }

        return env;
    }

    private static List<PushTState> Continue(PushTEnv env)
    {
        var states = new List<PushTState>();
        for (int i = 0; i < 15; i++)
        {
            env.Step([256 + (3 * i), 280 - (2 * i)]);
            states.Add(env.State);
        }

        return states;
    }

    [Fact]
    public void Clone_MidContact_ContinuesBitIdentically()
    {
        var env = MidContact();
        var clone = env.Clone();
        Assert.Equal(Continue(env), Continue(clone));
    }

    [Fact]
    public void Snapshot_RestoredTwice_ContinuesBitIdentically()
    {
        var env = MidContact();
        var snapshot = env.Snapshot();
        var first = Continue(env);
        env.Restore(snapshot);
        Assert.Equal(5, env.StepCount);
        Assert.Equal(new Vec2(256, 290), env.LastAction);
        Assert.Equal(first, Continue(env));
        env.Restore(snapshot);
        Assert.Equal(first, Continue(env));
        Assert.Equal(snapshot.State, MidContact().State);
    }

    [Fact]
    public void RestoreFromStateOnly_StartsWithoutCachedImpulses_SoOnlySnapshotsAreExact()
    {
        // The bodies' state alone misses the contact cache (warm-start impulses, broadphase ids): a cold
        // restore drifts by about 1e-3 px from the original continuation; a snapshot does not drift at all.
        var env = MidContact();
        var cold = new PushTEnv();
        cold.Restore(env.State, env.StepCount);
        Assert.Equal(env.State.Block, cold.State.Block);
        var original = Continue(env);
        var coldRun = Continue(cold);
        double drift = original.Zip(coldRun).Max(p => (p.First.Block.Position - p.Second.Block.Position).Length);
        Assert.InRange(drift, 1e-6, 0.05);
    }
}
