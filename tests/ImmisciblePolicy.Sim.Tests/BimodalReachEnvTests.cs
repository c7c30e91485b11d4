using ImmisciblePolicy.Sim.Bimodal;
using ImmisciblePolicy.Sim.Geometry;

namespace ImmisciblePolicy.Sim.Tests;

public sealed class BimodalReachEnvTests
{
    private static (List<Vec2> Trajectory, ExpertEpisode Episode) RunExpert(int episode)
    {
        var env = new BimodalReachEnv();
        env.Reset(episode);
        var expert = new BimodalReachExpert(env.Config, BimodalReachExpert.SideForEpisode(episode), episode);
        var result = expert.Run(env);
        // Observations are the positions before each action; append the final one.
        var traj = result.Observations.Select(o => new Vec2(o[0], o[1])).Append(env.Agent).ToList();
        return (traj, result);
    }

    [Fact]
    public void Expert_SucceedsOnBothSides_AndModeOfLabelsTheSide()
    {
        int left = 0, right = 0;
        for (int episode = 0; episode < 10; episode++)
        {
            var (traj, result) = RunExpert(episode);
            Assert.True(result.Success, $"episode {episode} failed, score {result.FinalScore}");
            Assert.Equal(1.0, result.Rewards[^1]);
            Assert.All(result.Rewards.Take(result.Rewards.Count - 1), r => Assert.Equal(0.0, r));
            var mode = BimodalReachEnv.ModeOf(traj);
            Assert.Equal(BimodalReachExpert.SideForEpisode(episode), mode);
            left += mode == ReachMode.Left ? 1 : 0;
            right += mode == ReachMode.Right ? 1 : 0;
        }

        Assert.Equal(5, left);
        Assert.Equal(5, right);
    }

    [Fact]
    public void StraightUp_IsBlockedByObstacle_AndLabelledNone()
    {
        var env = new BimodalReachEnv();
        env.Reset(3);
        var traj = new List<Vec2>();
        StepResult? last = null;
        for (int t = 0; t < env.MaxSteps; t++)
        {
            last = env.Step([256, 70]);
            traj.Add(env.Agent);
            Assert.True(env.Agent.Y >= env.Config.ObstacleBottom + BimodalReachEnv.AgentRadius - 1e-9, $"entered obstacle at {env.Agent}");
        }

        Assert.NotNull(last);
        Assert.True(last.Done);
        Assert.False(last.Success);
        Assert.Equal(ReachMode.None, BimodalReachEnv.ModeOf(traj));
    }

    [Fact]
    public void ModeOf_LabelsHandMadeTrajectories()
    {
        Vec2[] left = [new(256, 440), new(120, 300), new(120, 250), new(120, 150), new(256, 70)];
        Vec2[] right = [.. left.Select(p => new Vec2(512 - p.X, p.Y))];
        Vec2[] stuck = [new(256, 440), new(120, 300), new(120, 250)];
        Vec2[] both = [new(256, 440), new(120, 250), new(390, 250), new(390, 150)];
        Assert.Equal(ReachMode.Left, BimodalReachEnv.ModeOf(left));
        Assert.Equal(ReachMode.Right, BimodalReachEnv.ModeOf(right));
        Assert.Equal(ReachMode.None, BimodalReachEnv.ModeOf(stuck));
        Assert.Equal(ReachMode.None, BimodalReachEnv.ModeOf(both));
    }

    [Fact]
    public void SameSeed_GivesSameStart_DifferentSeedDiffers()
    {
        var a = new BimodalReachEnv();
        var b = new BimodalReachEnv();
        Assert.Equal(a.Reset(42), b.Reset(42));
        Assert.NotEqual(a.Reset(42), b.Reset(43));
    }

    [Fact]
    public void Step_RejectsNaN()
    {
        var env = new BimodalReachEnv();
        env.Reset(0);
        var ex = Assert.Throws<ArgumentException>(() => env.Step([double.NaN, 1]));
        Assert.Equal("action", ex.ParamName);
    }
}
