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

public sealed class HumanVariabilityTests
{
    [Fact]
    public void HumanLikeEpisodes_AreReproducibleFromTheSeed_DifferFromTheScriptedOnes_AndStillSucceed()
    {
        static ExpertEpisode Run(HumanVariability? human, long seed)
        {
            var env = new PushTEnv();
            env.Reset(7);
            return new PushTExpert(PushTExpertConfig.Multimodal).Run(env, PushTMode.Clockwise, human, seed);
        }

        var a = Run(new HumanVariability(), 11);
        var b = Run(new HumanVariability(), 11);
        var scripted = Run(null, 11);

        Assert.True(a.Success, $"human-like episode ended at coverage {a.FinalScore:F3}");
        Assert.Equal(a.Actions, b.Actions);
        Assert.NotEqual(scripted.Actions.Count == a.Actions.Count ? scripted.Actions.Zip(a.Actions).Count(p => p.First.SequenceEqual(p.Second)) : -1, a.Actions.Count);
    }

    [Theory]
    [InlineData(1.0, 0.1, 2, 1.0, "SpeedSpread")]
    [InlineData(0.2, 1.5, 2, 1.0, "HesitationProbability")]
    [InlineData(0.2, 0.1, 0, 1.0, "MaxHesitationSteps")]
    [InlineData(0.2, 0.1, 2, -1.0, "Jitter")]
    public void InvalidVariability_IsRejectedNamingTheSetting(double spread, double pause, int steps, double jitter, string name)
    {
        var env = new PushTEnv();
        env.Reset(1);
        var e = Assert.Throws<ArgumentException>(() => new PushTExpert().Run(env, PushTMode.Clockwise, new HumanVariability(spread, pause, steps, jitter)));
        Assert.StartsWith(name, e.Message, StringComparison.Ordinal);
    }
}
