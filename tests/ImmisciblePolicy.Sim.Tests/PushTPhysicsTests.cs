using ImmisciblePolicy.Sim.Geometry;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Sim.Tests;

public sealed class PushTPhysicsTests
{
    private static PushTEnv EnvAt(Vec2 agent, Vec2 block, double angle)
    {
        var env = new PushTEnv();
        env.ResetTo(agent, block, angle);
        return env;
    }

    private static void Hold(PushTEnv env, Vec2 target, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            env.Step([target.X, target.Y]);
        }
    }

    [Fact]
    public void Block_WithoutContact_DoesNotMove()
    {
        var env = EnvAt(new Vec2(60, 450), new Vec2(300, 150), 0.3);
        var before = env.State.Block;
        // The agent sweeps along the bottom-left, never within reach of the T (origin y = 150, extent < 130 px).
        Hold(env, new Vec2(450, 460), 15);
        Hold(env, new Vec2(60, 470), 15);
        Assert.Equal(before, env.State.Block);
    }

    [Fact]
    public void CentredPush_TranslatesAlongPush_WithLittleRotation()
    {
        // Block origin (256, 200), angle 0: the stem's end is at y = 320, the cog at (256, 245).
        // The agent pushes the stem end straight up (-y), along the line through the cog.
        var env = EnvAt(new Vec2(256, 360), new Vec2(256, 200), 0);
        Hold(env, new Vec2(256, 280), 20);
        var b = env.State.Block;
        double dy = b.Y - 200;
        Assert.True(dy < -30, $"block should move up by > 30 px; moved {dy}");
        Assert.True(Math.Abs(b.X - 256) < 1.0, $"sideways drift {b.X - 256}");
        Assert.True(Math.Abs(b.Angle) < 0.01, $"rotation {b.Angle}");
    }

    [Fact]
    public void OffCentrePush_RotatesWithTheSignOfTheTorque()
    {
        // Push the bar's underside up (-y) at x = +45 from the centre line: arm r = (45, -15) from
        // the cog, force (0, -1), torque r x F = -45 < 0, so the angle must decrease.
        var env = EnvAt(new Vec2(301, 260), new Vec2(256, 200), 0);
        Hold(env, new Vec2(301, 200), 10);
        Assert.True(env.State.Block.Angle < -0.05, $"angle {env.State.Block.Angle}");

        // Mirror image: push at x = -45, the angle must increase.
        var mirrored = EnvAt(new Vec2(211, 260), new Vec2(256, 200), 0);
        Hold(mirrored, new Vec2(211, 200), 10);
        Assert.True(mirrored.State.Block.Angle > 0.05, $"angle {mirrored.State.Block.Angle}");
        Assert.Equal(env.State.Block.Angle, -mirrored.State.Block.Angle, 6);
    }

    [Fact]
    public void BlockDrivenIntoAWall_ComesToRestAtTheCollisionSlop()
    {
        // Chipmunk corrects only the penetration beyond the collision slop (0.1 px), so a block pushed into a
        // wall ends up resting about 0.1 px inside it, as in pymunk; it never passes through.
        var env = EnvAt(new Vec2(256, 300), new Vec2(256, 100), 0.2);
        Hold(env, new Vec2(256, 0), 40);
        Assert.InRange(env.WallPenetration, 0.09, 0.12);
        Assert.Equal(0.0, env.AgentPenetration);
    }

    [Fact]
    public void KinematicAgent_IsNotStoppedByABlockAgainstAWall()
    {
        // The agent is kinematic (infinite mass): driving the block into a wall, it sinks into the block and
        // forces the block into the wall; the contact bias then pushes the block back out (about 6 % of the
        // excess overlap per substep, 1 - 0.9^(60 dt)) once the block slips away from the agent.
        var env = EnvAt(new Vec2(256, 300), new Vec2(256, 100), 0);
        Hold(env, new Vec2(256, 0), 2);
        Assert.True(env.AgentPenetration > 5, $"agent overlap {env.AgentPenetration}");
        Assert.True(env.WallPenetration > 0.5, $"wall penetration {env.WallPenetration}");
        Hold(env, new Vec2(256, 0), 38);
        Assert.InRange(env.WallPenetration, 0.09, 0.12);
        Assert.Equal(0.0, env.AgentPenetration);
    }

    [Fact]
    public void Block_StopsOneSubstepAfterContactEnds()
    {
        // space.damping = 0: the solver starts every substep with the block at rest, so once the agent leaves,
        // the block moves for at most one more position update (with the velocity the last solve gave it).
        var env = EnvAt(new Vec2(256, 360), new Vec2(256, 200), 0);
        Hold(env, new Vec2(256, 290), 10);
        Hold(env, new Vec2(256, 480), 3);
        var rest = env.State;
        Assert.Equal(Vec2.Zero, rest.BlockVelocity);
        Assert.Equal(0.0, rest.BlockAngularVelocity);
        Hold(env, new Vec2(256, 480), 10);
        Assert.Equal(rest.Block, env.State.Block);
        Assert.True(rest.Block.Y < 190, $"the push should have moved the block; origin y {rest.Block.Y}");
    }

    [Fact]
    public void SameSeed_GivesIdenticalTrajectory()
    {
        var a = new PushTEnv();
        var b = new PushTEnv();
        a.Reset(7);
        b.Reset(7);
        var rng = new System.Random(3);
        for (int i = 0; i < 100; i++)
        {
            double[] act = [rng.NextDouble() * 512, rng.NextDouble() * 512];
            var ra = a.Step(act);
            var rb = b.Step(act);
            Assert.Equal(ra.Observation, rb.Observation);
            Assert.Equal(ra.Score, rb.Score);
        }
    }

    [Fact]
    public void RandomActions_StayFinite_NoTunnelling_AndContactsStayTight()
    {
        var env = new PushTEnv();
        var rng = new System.Random(11);
        double worstWall = 0, worstAgentFree = 0;
        int freeSteps = 0, tightFreeSteps = 0;
        int steps = 0;
        for (int episode = 0; steps < 10_000; episode++)
        {
            env.Reset(1000 + episode);
            for (int t = 0; t < 200 && steps < 10_000; t++, steps++)
            {
                // Random targets near the agent, as a policy would produce, plus occasional far jumps.
                var a = env.State.Agent;
                double[] act = rng.NextDouble() < 0.1
                    ? [rng.NextDouble() * 512, rng.NextDouble() * 512]
                    : [a.X + ((rng.NextDouble() - 0.5) * 120), a.Y + ((rng.NextDouble() - 0.5) * 120)];
                var r = env.Step(act);
                Assert.All(r.Observation, v => Assert.True(double.IsFinite(v)));
                worstWall = Math.Max(worstWall, env.WallPenetration);
                if (t > 0 && !NearWall(env.State.Block))
                {
                    freeSteps++;
                    tightFreeSteps += env.AgentPenetration < 0.5 ? 1 : 0;
                    worstAgentFree = Math.Max(worstAgentFree, env.AgentPenetration);
                }
            }
        }

        // Chipmunk has no continuous collision detection: a fast agent (up to ~2000 px/s, 20 px per substep)
        // overlaps the block by up to one substep of travel when it hits it, and the bias then pushes the
        // overlap out over the following substeps. The agent's centre never enters the T (overlap < radius),
        // the walls hold the block within a few px (the agent can force it in), and most contacts are tight.
        Assert.True(worstWall < 10, $"wall penetration {worstWall}");
        Assert.True(worstAgentFree < PushTGeometry.AgentRadius, $"agent/block overlap {worstAgentFree}");
        Assert.True(tightFreeSteps >= 0.95 * freeSteps, $"{tightFreeSteps} of {freeSteps} free-block steps overlap < 0.5 px");
    }

    private static bool NearWall(Pose2 block)
    {
        foreach (var part in TShape.At(block))
        {
            foreach (var v in part.Vertices)
            {
                if (v.X < 12 || v.X > 499 || v.Y < 12 || v.Y > 499)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
