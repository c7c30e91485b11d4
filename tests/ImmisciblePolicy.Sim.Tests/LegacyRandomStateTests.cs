using ImmisciblePolicy.Sim.PushT;
using ImmisciblePolicy.Sim.Random;

namespace ImmisciblePolicy.Sim.Tests;

public sealed class LegacyRandomStateTests
{
    // Golden values printed by numpy 1.24 (Debian python3-numpy):
    //   rs = np.random.RandomState(seed=s)
    //   [rs.randint(50,450), rs.randint(50,450), rs.randint(100,400), rs.randint(100,400), rs.randn()*2*np.pi-np.pi]
    [Theory]
    [InlineData(0L, 222, 97, 217, 292, 3.0079994677219553)]
    [InlineData(1L, 87, 285, 172, 355, -6.595749753457083)]
    [InlineData(100000L, 235, 124, 335, 128, -0.9049274284249247)]
    [InlineData(100049L, 143, 388, 104, 324, -13.41298796393892)]
    public void ResetDraws_MatchNumpyRandomState(long seed, int ax, int ay, int bx, int by, double angle)
    {
        var rs = new LegacyRandomState(seed);
        Assert.Equal(ax, rs.RandInt(50, 450));
        Assert.Equal(ay, rs.RandInt(50, 450));
        Assert.Equal(bx, rs.RandInt(100, 400));
        Assert.Equal(by, rs.RandInt(100, 400));
        Assert.Equal(angle, (rs.RandN() * 2 * Math.PI) - Math.PI, 12);
    }

    [Fact]
    public void Reset_PlacesAgentAtDrawnPosition_AndBlockInLegacyOrder()
    {
        var env = new PushTEnv();
        var obs = env.Reset(0);
        Assert.Equal(222, obs[0], 9);
        Assert.Equal(97, obs[1], 9);
        // Legacy _set_state: origin = p + c - R(angle) c, c = (0, 45), so the centre of gravity sits at p + c.
        var cog = env.State.BlockCenterOfGravity;
        Assert.Equal(217, cog.X, 6);
        Assert.Equal(292 + 45, cog.Y, 6);
        Assert.InRange(obs[4], 0, 2 * Math.PI);
    }

    [Fact]
    public void ResetDistribution_StaysInReferenceBounds()
    {
        var env = new PushTEnv();
        for (int seed = 0; seed < 300; seed++)
        {
            env.Reset(seed);
            var s = env.State;
            Assert.InRange(s.Agent.X, 50, 449);
            Assert.InRange(s.Agent.Y, 50, 449);
            // The drawn position is the cog minus (0, 45); the reset substep may nudge the block if the agent overlaps it.
            var p = s.BlockCenterOfGravity - ImmisciblePolicy.Sim.Geometry.TShape.CenterOfGravity;
            Assert.InRange(p.X, 100 - 30, 399 + 30);
            Assert.InRange(p.Y, 100 - 30, 399 + 30);
        }
    }
}
