using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks.Vision;
using ImmisciblePolicy.Sim;
using ImmisciblePolicy.Sim.Rendering;
using TorchSharp;

namespace ImmisciblePolicy.Robotics.Tests;

/// <summary>The vision policy end to end on tiny pixel demonstrations: training, resume, checkpoint names, planning, closed loop.</summary>
public class VisionPolicyTests
{
    private static readonly Lazy<DemonstrationDataset> PixelData = new(() =>
        DemonstrationGenerator.Generate(SimTaskKind.Bimodal, episodes: 8, firstSeed: 0, imageSize: 16).Dataset);

    /// <summary>A 2-stage trunk of 8/16 channels on 16 x 16 frames cropped to 12 x 12, with the tiny U-Net.</summary>
    private static PolicyRunConfig Config(long steps, long checkpointEvery = 0)
    {
        var config = TinyPolicies.Config(steps, checkpointEvery);
        var encoder = new RgbEncoderConfig
        {
            BaseWidth = 8, BlocksPerStage = [1, 1], GroupNormChannelsPerGroup = 4, NumKeypoints = 4, CropHeight = 12, CropWidth = 12,
        };
        return config with
        {
            Policy = config.Policy with { Vision = new VisionConfig { Encoder = encoder } },
            Trainer = config.Trainer with { BatchSize = 8 },
        };
    }

    [Fact]
    public void PixelDemonstrations_RecordAgentPositionAndTheRenderedScene()
    {
        var data = PixelData.Value;
        Assert.Equal([PixelObservations.ImageKey], data.ImageFeatures.Select(f => f.Name));
        Assert.Equal(new ImageFeature("observation.image", 16, 16), data.ImageFeatures[0]);
        Assert.Equal(PixelObservations.StateNames, data.StateNames);
        var episode = data.Episodes[0];
        var env = SimTasks.Create(SimTaskKind.Bimodal);
        env.Reset(0);
        var frame = new byte[16 * 16 * 3];
        episode.Images[PixelObservations.ImageKey].CopyFrame(0, frame);
        Assert.Equal(ObservationImage.Render(env, 16, 16), frame);
        Assert.Equal(PixelObservations.State(env).Select(v => (float)v), episode.State(0).ToArray());
        env.Step(episode.Action(0).ToArray().Select(v => (double)v).ToArray());
        episode.Images[PixelObservations.ImageKey].CopyFrame(1, frame);
        Assert.Equal(ObservationImage.Render(env, 16, 16), frame);
    }

    [Fact]
    public void InterruptedVisionRun_ResumesToTheSameWeights_WithCropsFromTheStepGenerator()
    {
        var whole = TinyPolicies.TempDir("vision-whole");
        var crashed = TinyPolicies.TempDir("vision-crashed");
        try
        {
            var config = Config(steps: 24, checkpointEvery: 10);
            using (PolicyTraining.Train(config, PixelData.Value, whole)) { }
            using var cts = new CancellationTokenSource();
            Assert.ThrowsAny<OperationCanceledException>(() => PolicyTraining.Train(config, PixelData.Value, crashed,
                onCheckpoint: (step, _) => { if (step == 20) cts.Cancel(); }, cancellationToken: cts.Token));
            using var resumed = PolicyTraining.Train(config, PixelData.Value, crashed);
            using var reference = PolicyCheckpoint.Load(whole);
            Assert.Equal(24, resumed.Step);
            var expected = reference.Vision!.state_dict();
            foreach (var (name, t) in resumed.Vision!.state_dict())
                Assert.True(t.eq(expected[name]).all().item<bool>(), $"EMA weight {name} differs after resume");
        }
        finally
        {
            TinyPolicies.Delete(whole);
            TinyPolicies.Delete(crashed);
        }
    }

    [Fact]
    public void Checkpoint_StoresEncoderUnderLeRobotNames_AndImageSettingsInConfigJson()
    {
        var dir = TinyPolicies.TempDir("vision-names");
        try
        {
            using var policy = PolicyTraining.Train(Config(steps: 2), PixelData.Value, dir);
            using var content = Safetensors.Load(Path.Combine(dir, PolicyCheckpoint.WeightsFile));
            var keys = content.Tensors.Keys.ToHashSet();
            foreach (var prefix in new[] { "model.", "ema_model." })
            {
                Assert.Contains(prefix + "rgb_encoder.backbone.0.weight", keys);
                Assert.Contains(prefix + "rgb_encoder.backbone.1.weight", keys);
                Assert.Contains(prefix + "rgb_encoder.backbone.4.0.conv1.weight", keys);
                Assert.Contains(prefix + "rgb_encoder.backbone.5.0.downsample.0.weight", keys);
                Assert.Contains(prefix + "rgb_encoder.pool.nets.weight", keys);
                Assert.Contains(prefix + "rgb_encoder.pool.pos_grid", keys);
                Assert.Contains(prefix + "rgb_encoder.out.weight", keys);
                Assert.Contains(prefix + "unet.final_conv.1.weight", keys);
            }
            Assert.DoesNotContain(keys, k => k.Split('.').Any(part => part.StartsWith('_')));
            Assert.Equal(policy.Vision!.ParameterCount, content.Tensors.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal)
                && !kv.Key.EndsWith("pos_grid", StringComparison.Ordinal)).Sum(kv => kv.Value.numel()));

            var saved = PolicyCheckpoint.ReadConfig(dir);
            var vision = saved.Policy.Vision!;
            Assert.Equal(new ImageNormalizer(2.0, -1.0), vision.Normalizer);
            Assert.Equal((12, 12), (vision.Encoder.CropHeight!.Value, vision.Encoder.CropWidth!.Value));
            Assert.Equal(2 + 8, saved.Policy.ObsDim);                       // agent x, y + 2 x 4 keypoints
            Assert.Equal(2 * 10, saved.Policy.Unet.GlobalCondDim);          // flattened over To = 2

            // The U-Net alone cannot plan for a vision config: the encoders would be missing.
            using var unetOnly = Policy.Networks.PolicyNetworks.ConditionalUnet1D(saved.Policy.Unet);
            Assert.Contains("VisionDenoiser", Assert.Throws<ArgumentException>(() =>
                new TrainedPolicy(saved, unetOnly, policy.ObservationNormalizer, policy.ActionNormalizer, 0)).Message);
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }

    [Fact]
    public void VisionPolicy_PlansInClosedLoop_Deterministically_AndRejectsBadFrames()
    {
        var dir = TinyPolicies.TempDir("vision-plan");
        try
        {
            using var policy = PolicyTraining.Train(Config(steps: 30), PixelData.Value, dir);
            Assert.Equal([PixelObservations.Camera(16)], policy.Cameras);
            var a = PolicyEvaluator.Evaluate(policy, SimTaskKind.Bimodal, new EvaluationConfig(Episodes: 2));
            var b = PolicyEvaluator.Evaluate(policy, SimTaskKind.Bimodal, new EvaluationConfig(Episodes: 2));
            Assert.Equal(a.Episodes, b.Episodes);

            var env = SimTasks.Create(SimTaskKind.Bimodal);
            env.Reset(5);
            var obs = PixelObservations.Observe(env, policy.Cameras);
            var good = new ObservationWindow([obs, obs]);
            Assert.Equal(8, policy.PlanChunks([good], 1, 2).Actions[0].Length);

            var noImage = new ObservationWindow([obs, Observation.FromState(obs.State)]);
            Assert.Contains("camera frame", Assert.Throws<ArgumentException>(() => policy.PlanChunks([noImage], 1, 2)).Message);
            var small = obs with { Images = [new CameraFrame(PixelObservations.ImageKey, 8, 8, 3, new byte[8 * 8 * 3])] };
            Assert.Contains("(16, 16, 3)", Assert.Throws<ArgumentException>(() => policy.PlanChunks([new ObservationWindow([obs, small])], 1, 2)).Message);
            var other = obs with { Images = [new CameraFrame("observation.images.wrist", 16, 16, 3, new byte[16 * 16 * 3])] };
            Assert.Contains("observation.image", Assert.Throws<ArgumentException>(() => policy.PlanChunks([new ObservationWindow([obs, other])], 1, 2)).Message);
            Assert.Contains("camera frames", Assert.Throws<ArgumentException>(() => policy.Plan([new[] { obs.State, obs.State }], 1)).Message);
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }

    [Fact]
    public void ThousandImagePlans_KeepTheLiveTensorCountFlat()
    {
        var dir = TinyPolicies.TempDir("vision-leak");
        try
        {
            using var policy = PolicyTraining.Train(Config(steps: 2), PixelData.Value, dir);
            var env = SimTasks.Create(SimTaskKind.Bimodal);
            env.Reset(1);
            var obs = PixelObservations.Observe(env, policy.Cameras);
            var windows = Enumerable.Range(0, 4).Select(_ => new ObservationWindow([obs, obs])).ToArray();
            policy.PlanChunks(windows, 0, 2);
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            for (int call = 0; call < 1000; call++) policy.PlanChunks(windows, call, 2);
            Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
        finally
        {
            TinyPolicies.Delete(dir);
        }
    }
}
