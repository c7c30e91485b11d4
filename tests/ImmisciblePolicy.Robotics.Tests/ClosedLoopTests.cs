namespace ImmisciblePolicy.Robotics.Tests;

public class ClosedLoopTests
{
    [Fact]
    public void TinyPolicy_OnBimodalTask_BeatsRandomPolicyByAWideMargin()
    {
        var dir = TinyPolicies.TempDir("closed-loop");
        try
        {
            using var policy = PolicyTraining.Train(TinyPolicies.Config(steps: 300) with { Policy = TinyPolicies.Config(300).Policy with { Unet = new Policy.Networks.UnetConfig { DownDims = [32, 64], DiffusionStepEmbedDim = 32 } }, Trainer = TinyPolicies.Config(300).Trainer with { BatchSize = 64 } }, TinyPolicies.Bimodal, dir);
            var eval = new EvaluationConfig(Episodes: 16);
            var trained = PolicyEvaluator.Evaluate(policy, SimTaskKind.Bimodal, eval);
            var random = PolicyEvaluator.Evaluate(new RandomPlanner(), SimTaskKind.Bimodal, eval);
            Assert.True(trained.SuccessRate >= random.SuccessRate + 0.5,
                $"trained success {trained.SuccessRate:P0} vs random {random.SuccessRate:P0}");
            Assert.True(trained.AverageMaxScore > random.AverageMaxScore + 0.1,
                $"trained progress {trained.AverageMaxScore:F3} vs random {random.AverageMaxScore:F3}");
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }

    [Fact]
    public void Evaluation_IsDeterministicForSeeds_AndUsesDiffusionPolicyTestSeeds()
    {
        var a = PolicyEvaluator.Evaluate(new RandomPlanner(), SimTaskKind.PushT, new EvaluationConfig(Episodes: 3));
        var b = PolicyEvaluator.Evaluate(new RandomPlanner(), SimTaskKind.PushT, new EvaluationConfig(Episodes: 3));
        Assert.Equal([100_000L, 100_001L, 100_002L], a.Episodes.Select(e => e.Seed));
        Assert.Equal(a.Episodes, b.Episodes);
        Assert.All(a.Episodes, e => Assert.InRange(e.Steps, 1, 300));
        // Diffusion Policy's score is the mean of per-episode max rewards; reward = clip(coverage / 0.95, 0, 1).
        Assert.Equal(a.Episodes.Average(e => e.MaxReward), a.Score, 12);
        Assert.All(a.Episodes, e => Assert.Equal(Math.Clamp(e.MaxScore / 0.95, 0, 1), e.MaxReward, 9));
    }

    [Fact]
    public void BimodalDemonstrations_AreBalancedBetweenModes()
    {
        var report = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, episodes: 10);
        Assert.Equal(1.0, report.SuccessRate);
        Assert.Equal(10, report.Dataset.Episodes.Count);
        Assert.Equal(2, report.Dataset.StateDim);
        Assert.All(report.Dataset.Episodes, e => Assert.True(e.Dones[^1]));
        // Labelled left, right, left, ... with the classifier agreeing on every one.
        Assert.Equal(["left", "right"], report.Dataset.ModeNames);
        Assert.Equal([0, 1, 0, 1, 0, 1, 0, 1, 0, 1], report.Dataset.Episodes.Select(e => e.Mode!.Value));
        Assert.All(report.Modes, m => Assert.Equal((5, 1.0, 1.0), (m.Episodes, m.SuccessRate, m.ClassifierAgreement)));
    }
}
