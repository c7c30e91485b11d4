using TorchSharp;

namespace ImmisciblePolicy.Robotics.Tests;

public class PolicyCheckpointTests
{
    [Fact]
    public void InterruptedRun_ResumesFromLastCheckpoint_ToTheSameWeightsAsAnUninterruptedRun()
    {
        var whole = TinyPolicies.TempDir("whole");
        var crashed = TinyPolicies.TempDir("crashed");
        try
        {
            var config = TinyPolicies.Config(steps: 40, checkpointEvery: 15);
            using (PolicyTraining.Train(config, TinyPolicies.Bimodal, whole)) { }

            // "Crash" right after the checkpoint at step 30: the run stops with steps 31..40 not done.
            using var cts = new CancellationTokenSource();
            Assert.ThrowsAny<OperationCanceledException>(() => PolicyTraining.Train(config, TinyPolicies.Bimodal, crashed,
                onCheckpoint: (step, _) => { if (step == 30) cts.Cancel(); }, cancellationToken: cts.Token));
            using (var partial = PolicyCheckpoint.Load(crashed)) Assert.Equal(30, partial.Step);

            using var resumed = PolicyTraining.Train(config, TinyPolicies.Bimodal, crashed);
            Assert.Equal(40, resumed.Step);
            using var reference = PolicyCheckpoint.Load(whole);
            var expected = ((Policy.Networks.ConditionalUnet1D)reference.Network).state_dict();
            foreach (var (name, t) in ((Policy.Networks.ConditionalUnet1D)resumed.Network).state_dict())
                Assert.True(t.eq(expected[name]).all().item<bool>(), $"EMA weight {name} differs after resume");
        }
        finally
        {
            TinyPolicies.Delete(whole);
            TinyPolicies.Delete(crashed);
        }
    }

    [Fact]
    public void Weights_AreStoredOnceEach_UnderDiffusionPolicyReferenceNames()
    {
        var dir = TinyPolicies.TempDir("names");
        try
        {
            using var policy = PolicyTraining.Train(TinyPolicies.Config(steps: 2), TinyPolicies.Bimodal, dir);
            using var content = Core.Training.Safetensors.Load(Path.Combine(dir, PolicyCheckpoint.WeightsFile));
            var model = content.Tensors.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal)).ToList();
            Assert.Equal(policy.Network.ParameterCount, model.Sum(kv => kv.Value.numel()));
            Assert.Equal(model.Count, content.Tensors.Count(kv => kv.Key.StartsWith("ema_model.", StringComparison.Ordinal)));
            Assert.Contains("model.mid_modules.0.blocks.0.block.0.weight", content.Tensors.Keys);
            Assert.DoesNotContain(content.Tensors.Keys, k => k.Split('.').Any(part => part.StartsWith('_')));
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }

    [Fact]
    public void Resume_WithADifferentConfig_IsRefusedWithAReason()
    {
        var dir = TinyPolicies.TempDir("other-config");
        try
        {
            using (PolicyTraining.Train(TinyPolicies.Config(steps: 5), TinyPolicies.Bimodal, dir)) { }
            var other = TinyPolicies.Config(steps: 5) with { Noise = new Core.Noise.NoiseAssignmentConfig() };
            var e = Assert.Throws<InvalidOperationException>(() => PolicyTraining.Train(other, TinyPolicies.Bimodal, dir));
            Assert.Contains("different configuration", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }

    [Fact]
    public void Load_BadCheckpoints_NameTheFileAndProblem()
    {
        var dir = TinyPolicies.TempDir("bad");
        try
        {
            Assert.Throws<DirectoryNotFoundException>(() => PolicyCheckpoint.Load(dir));
            using (PolicyTraining.Train(TinyPolicies.Config(steps: 3), TinyPolicies.Bimodal, dir)) { }
            var fitted = PolicyCheckpoint.ReadConfig(dir);

            File.WriteAllText(Path.Combine(dir, PolicyCheckpoint.ConfigFile), "{ not json");
            var e = Assert.Throws<InvalidDataException>(() => PolicyCheckpoint.Load(dir));
            Assert.Contains(PolicyCheckpoint.ConfigFile, e.Message, StringComparison.Ordinal);

            // A config whose network is wider than the stored weights.
            var wider = fitted with { Policy = fitted.Policy with { Unet = fitted.Policy.Unet with { DownDims = [32, 64] } } };
            File.WriteAllText(Path.Combine(dir, PolicyCheckpoint.ConfigFile), wider.ToJson());
            e = Assert.Throws<InvalidDataException>(() => PolicyCheckpoint.Load(dir));
            Assert.Contains("different configuration", e.Message, StringComparison.Ordinal);

            File.Delete(Path.Combine(dir, PolicyCheckpoint.WeightsFile));
            e = Assert.Throws<InvalidDataException>(() => PolicyCheckpoint.Load(dir));
            Assert.Contains(PolicyCheckpoint.WeightsFile, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }

    [Fact]
    public void Plan_BadObservations_AreRejectedWithTheFieldNamed()
    {
        var dir = TinyPolicies.TempDir("plan-input");
        try
        {
            using var policy = PolicyTraining.Train(TinyPolicies.Config(steps: 3), TinyPolicies.Bimodal, dir);
            double[][] good = [[256, 440], [256, 438]];
            Assert.Equal(8, policy.Plan([good], 1)[0].Length);
            var e = Assert.Throws<ArgumentException>(() => policy.Plan([[[256, 440]]], 1));
            Assert.Contains("To = 2", e.Message, StringComparison.Ordinal);
            e = Assert.Throws<ArgumentException>(() => policy.Plan([[[256, 440, 1], [256, 440, 1]]], 1));
            Assert.Contains("needs 2", e.Message, StringComparison.Ordinal);
            e = Assert.Throws<ArgumentException>(() => policy.Plan([[[double.NaN, 440], [256, 440]]], 1));
            Assert.Contains("non-finite", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }
}
