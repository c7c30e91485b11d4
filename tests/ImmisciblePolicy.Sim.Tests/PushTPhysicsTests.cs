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
    public void PushIntoWall_KeepsBlockInside()
    {
        var env = EnvAt(new Vec2(256, 300), new Vec2(256, 100), 0.2);
        Hold(env, new Vec2(256, 0), 40);
        Assert.True(env.WallPenetration < 1e-9, $"wall penetration {env.WallPenetration}");
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
    public void RandomActions_StayFiniteInsideWallsAndBarelyOverlap()
    {
        var env = new PushTEnv();
        var rng = new System.Random(11);
        double worstWall = 0, worstAgentFree = 0;
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
                // Agent overlap is only bounded when the block is free to move away (not against a wall).
                if (t > 0 && !NearWall(env.State.Block))
                {
                    worstAgentFree = Math.Max(worstAgentFree, env.AgentPenetration);
                }
            }
        }

        Assert.True(worstWall < 1e-9, $"wall penetration {worstWall}");
        Assert.True(worstAgentFree < 0.05, $"agent/block penetration {worstAgentFree}");
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
