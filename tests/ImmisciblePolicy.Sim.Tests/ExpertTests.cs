using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Sim.Tests;

public sealed class ExpertTests
{
    [Theory]
    [InlineData(100000L)]
    [InlineData(3L)]
    public void PushTExpert_ReachesSuccess_WithConsistentRecord(long seed)
    {
        var env = new PushTEnv();
        env.Reset(seed);
        double before = PushTExpert.PoseError(env.State.Block);
        var episode = new PushTExpert().Run(env);
        Assert.True(episode.Success, $"seed {seed}: final coverage {episode.FinalScore}, pose error {before} -> {PushTExpert.PoseError(env.State.Block)}");
        Assert.True(episode.FinalScore > 0.95);
        Assert.Equal(episode.Actions.Count, episode.Observations.Count);
        Assert.Equal(episode.Actions.Count, episode.Rewards.Count);
        Assert.Equal(env.StepCount, episode.Actions.Count);

        // Replaying the recorded actions from the same seed reproduces the recorded observations.
        var replay = new PushTEnv();
        replay.Reset(seed);
        for (int t = 0; t < episode.Actions.Count; t++)
        {
            Assert.Equal(episode.Observations[t], replay.Observe());
            replay.Step(episode.Actions[t]);
        }

        Assert.True(replay.Coverage > 0.95);
    }

    [Fact]
    public void PoseError_IsZeroAtGoal_AndGrowsWithShift()
    {
        var g = PushTConfig.GoalPose;
        Assert.Equal(0.0, PushTExpert.PoseError(g), 12);
        Assert.Equal(10.0, PushTExpert.PoseError(new Geometry.Pose2(g.X + 10, g.Y, g.Angle)), 9);
    }
}
