using System.Text.Json;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Sim.PushT;

namespace ImmisciblePolicy.Robotics.Tests;

/// <summary>Multimodal Push-T demonstrations: mode draws, labels, the classifier, and train + eval on them.</summary>
public sealed class MultimodalPushTTests
{
    [Fact]
    public void PushTModeFor_DrawsTheMixFromTheSeed()
    {
        var modes = Enumerable.Range(0, 2000).Select(s => DemonstrationGenerator.PushTModeFor(s, 0.3)).ToArray();
        double clockwise = modes.Count(m => m == PushTMode.Clockwise) / 2000.0;
        Assert.InRange(clockwise, 0.3 - 0.04, 0.3 + 0.04);   // about 4 standard errors
        Assert.Equal(modes, Enumerable.Range(0, 2000).Select(s => DemonstrationGenerator.PushTModeFor(s, 0.3)));
        Assert.All(Enumerable.Range(0, 50), s => Assert.Equal(PushTMode.CounterClockwise, DemonstrationGenerator.PushTModeFor(s, 0)));
        Assert.All(Enumerable.Range(0, 50), s => Assert.Equal(PushTMode.Clockwise, DemonstrationGenerator.PushTModeFor(s, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DemonstrationGenerator.PushTModeFor(0, 1.5));
    }

    /// <summary>
    /// 40 demonstrations with the default 50/50 mix: every episode carries the mode drawn from its seed, the expert
    /// succeeds in both modes, and the rollout classifier, shown only the recorded keypoint observations, gives back the
    /// expert's own label on at least 95 % of them.
    /// </summary>
    [Fact]
    public void PushTDemonstrations_AreLabelledPerSeed_SucceedInBothModes_AndTheClassifierRecoversTheLabels()
    {
        var report = DemonstrationGenerator.Generate(SimTaskKind.PushT, episodes: 40, firstSeed: 0);

        Assert.Equal(["clockwise", "counterclockwise"], report.Dataset.ModeNames);
        for (int i = 0; i < 40; i++)
        {
            string expected = TaskModes.Name(DemonstrationGenerator.PushTModeFor(i, 0.5));
            Assert.Equal(expected, report.Dataset.ModeNames![report.Dataset.Episodes[i].Mode!.Value]);
        }
        Assert.All(report.Modes, m => Assert.True(m.Episodes >= 10, $"{m.Mode}: only {m.Episodes} of 40 episodes"));
        Assert.All(report.Modes, m => Assert.True(m.SuccessRate >= 0.9, $"{m.Mode}: expert success {m.SuccessRate:P0}"));
        double agreement = report.Modes.Sum(m => m.ClassifierAgreement * m.Episodes) / 40;
        Assert.True(agreement >= 0.95, $"classifier agrees with the expert on {agreement:P1}: " +
                                       string.Join(", ", report.Modes.Select(m => $"{m.Mode} {m.ClassifierAgreement:P0}")));
    }

    [Fact]
    public void UnimodalOption_RecordsNoLabels_AsTheStudyDatasetsWere()
    {
        var report = DemonstrationGenerator.Generate(SimTaskKind.PushT, episodes: 2, options: DemonstrationOptions.Unimodal);
        Assert.Null(report.Dataset.ModeNames);
        Assert.Empty(report.Modes);
        Assert.All(report.Dataset.Episodes, e => Assert.Null(e.Mode));
    }

    /// <summary>
    /// The end-to-end path of <c>immiscible data generate --obs env-state</c>, <c>train</c> and <c>eval</c> on a tiny
    /// budget: the LeRobot dataset splits environment state from agent position, training takes the layout and the mode
    /// mix from it into the checkpoint, evaluation builds the same layout from the checkpoint and eval.json reports the
    /// mode shares against the demonstrations' mix.
    /// </summary>
    [Fact]
    public async Task EnvStateMultimodalData_TrainsAndEvaluatesEndToEnd_WithModeSharesInEvalJson()
    {
        var dir = TinyPolicies.TempDir("multimodal");
        try
        {
            var options = new DemonstrationOptions { Observation = PushTObservation.EnvironmentStateAgentPos };
            var demo = DemonstrationGenerator.Generate(SimTaskKind.PushT, episodes: 4, firstSeed: 0, options: options).Dataset;
            string data = Path.Combine(dir, "data");
            await new LeRobotDatasetWriter().WriteAsync(demo, data);
            var read = await LeRobotDatasetReader.ReadAsync(data);
            Assert.Equal((18, 16), (read.StateDim, read.EnvironmentStateDim));
            Assert.Equal(PushTObservation.EnvironmentStateAgentPos, SimTasks.ObservationOf(read));

            var config = TinyPolicies.Config(steps: 20) with { Task = SimTaskKind.PushT };
            string checkpoint = Path.Combine(dir, "checkpoint");
            using var policy = PolicyTraining.Train(config, read, checkpoint);

            var saved = PolicyCheckpoint.ReadConfig(checkpoint);
            Assert.Equal(PushTObservation.EnvironmentStateAgentPos, saved.Observation);
            Assert.Equal(18, saved.Policy.ObsDim);
            Assert.Equal(read.ModeShares.Select(m => new ModeShare(m.Mode, m.Share)), saved.DemonstrationModes);

            // Evaluating with the default (keypoint) environments is refused; the checkpoint's own layout works.
            var e = Assert.Throws<ArgumentException>(() => PolicyEvaluator.Evaluate(policy, SimTaskKind.PushT, new EvaluationConfig(Episodes: 1)));
            Assert.Contains("EnvironmentStateAgentPos", e.Message, StringComparison.Ordinal);
            var result = PolicyEvaluator.Evaluate(policy, SimTaskKind.PushT, new EvaluationConfig(Episodes: 2).For(policy.Config));

            using var json = JsonDocument.Parse(EvaluationReport.Json(result, "tiny"));
            Assert.Equal("EnvironmentStateAgentPos", json.RootElement.GetProperty("observation").GetString());
            var modes = json.RootElement.GetProperty("modes");
            int counted = modes.GetProperty("shares").EnumerateObject().Sum(p => p.Value.GetProperty("count").GetInt32());
            Assert.Equal(2, counted);
            Assert.Equal(read.ModeShares[0].Share, modes.GetProperty("demonstrationMix").GetProperty("clockwise").GetDouble(), 12);
            Assert.All(result.Episodes, ep => Assert.Contains(ep.Mode, new[] { "clockwise", "counterclockwise", "none" }));
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }
}
