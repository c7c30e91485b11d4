using System.Text.Json;
using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Policy.Networks.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests.Networks.Vision;

/// <summary>
/// The vision policy's weights load with strict=True into an independent PyTorch build of LeRobot's DiffusionModel
/// (torchvision ResNet cut at children()[:-2], BatchNorm -> GroupNorm, SpatialSoftmax, out; diffusion_policy's
/// ConditionalUnet1D), and both compute the same encoder features, global condition and U-Net output to 1e-5.
/// </summary>
public sealed class VisionPeerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("vision-peer").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public void TinyVisionPolicy_LoadsStrictIntoTorchPeer_AndComputesTheSameConditionAndNoise(int cameras, bool separate)
    {
        var config = VisionFixtures.TinyPolicy(cameras, separate);
        var vision = config.Vision!;
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var net = PolicyNetworks.VisionDenoiser(config);
        Perturb(net, 8);
        net.eval();
        var g = new Generator(9);
        int b = 3, to = config.ObsSteps, n = vision.Cameras.Count, c = 3, h = 16, w = 16;
        var state = randn([b, to, vision.StateDim], generator: g);
        var images = rand([b, to, n, c, h, w], generator: g) * 2 - 1;                      // normalised frames (B, To, N, C, H, W)
        var sample = randn([b, config.Horizon, config.ActionDim], generator: g);
        var timesteps = tensor(new long[] { 0, 37, 99 });

        var perCamera = Enumerable.Range(0, n).Select(i => images[.., .., i]).ToList();
        var features = net.EncodeObservations(state, perCamera, null);                     // (B, To, Do)
        var cond = features.reshape(b, -1);
        var eps = net.Unet.forward(sample, timesteps, cond);

        var peer = RunPeer(net, config, new()
        {
            ["state"] = state, ["images"] = images, ["sample"] = sample, ["timesteps"] = timesteps,
        }, withUnet: true);
        AssertClose(features[.., .., vision.StateDim..].reshape(b * to * n, -1), TorchPeer.ReadFloats(Path.Combine(dir, "features.f32")), "encoder features");
        AssertClose(cond, TorchPeer.ReadFloats(Path.Combine(dir, "cond.f32")), "global condition");
        AssertClose(eps, TorchPeer.ReadFloats(Path.Combine(dir, "eps.f32")), "U-Net output");
        Assert.Equal(net.ParameterCount, peer.GetProperty("parameters").GetInt64());
    }

    [Fact]
    public void PublishedEncoder_IsTorchvisionResNet18WithGroupNorm_AndMatchesItsFeatures()
    {
        var vision = new VisionConfig { StateDim = 2, Cameras = [new ImageFeature("observation.image", 96, 96)], Encoder = RgbEncoderConfig.Published };
        var config = new DiffusionPolicyConfig
        {
            ObsDim = vision.FeatureDim, ActionDim = 2, Vision = vision,
            Unet = new UnetConfig { InputDim = 2, GlobalCondDim = 2 * vision.FeatureDim, DownDims = [8, 16], DiffusionStepEmbedDim = 8 },
        };
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var net = PolicyNetworks.VisionDenoiser(config);
        Perturb(net, 4);
        net.eval();
        var names = EncoderNames(net);
        Assert.Contains("rgb_encoder.backbone.0.weight", names);                      // conv1
        Assert.Contains("rgb_encoder.backbone.1.weight", names);                      // GroupNorm that replaced bn1
        Assert.Contains("rgb_encoder.backbone.4.0.conv1.weight", names);
        Assert.Contains("rgb_encoder.backbone.5.0.downsample.1.bias", names);
        Assert.Contains("rgb_encoder.backbone.7.1.bn2.weight", names);
        Assert.Contains("rgb_encoder.pool.nets.weight", names);
        Assert.Contains("rgb_encoder.pool.pos_grid", names);
        Assert.Contains("rgb_encoder.out.weight", names);
        // 84 x 84 crops end in a 3 x 3 map of 512 channels: pos_grid is (9, 2).
        Assert.Equal([9L, 2L], net.Encoders[0].get_buffer("pool.pos_grid")!.shape);

        var g = new Generator(5);
        var state = randn([1, 2, 2], generator: g);
        var images = rand([1, 2, 1, 3, 96, 96], generator: g) * 2 - 1;
        var features = net.EncodeObservations(state, [images[.., .., 0]], null);
        RunPeer(net, config, new() { ["state"] = state, ["images"] = images }, withUnet: false, resnet18: true);
        AssertClose(features[.., .., 2..].reshape(2, -1), TorchPeer.ReadFloats(Path.Combine(dir, "features.f32")), "ResNet-18 encoder features");
    }

    private static List<string> EncoderNames(nn.Module net) =>
        DiffusionTrainer<object>.UniqueStateDict(net).Select(p => p.Name).ToList();

    /// <summary>Moves every weight away from its initial value so GroupNorm affine terms and biases all matter.</summary>
    private static void Perturb(nn.Module net, int seed)
    {
        var g = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var p in net.parameters()) p.add_(randn(p.shape, generator: g) * 0.1);
    }

    private JsonElement RunPeer(VisionDenoiser net, DiffusionPolicyConfig config, Dictionary<string, Tensor> inputs, bool withUnet, bool resnet18 = false)
    {
        var e = config.Vision!.Encoder;
        var u = config.Unet;
        var peerConfig = new Dictionary<string, object?>
        {
            ["base_width"] = e.BaseWidth, ["blocks"] = e.BlocksPerStage, ["group"] = e.GroupNormChannelsPerGroup,
            ["keypoints"] = e.NumKeypoints, ["crop"] = e.CropHeight is int ch ? new[] { ch, e.CropWidth!.Value } : null,
            ["separate"] = e.UseSeparateEncoderPerCamera, ["torchvision_resnet18"] = resnet18,
            ["unet"] = withUnet
                ? new Dictionary<string, object>
                {
                    ["input_dim"] = u.InputDim, ["global_cond_dim"] = u.GlobalCondDim, ["embed"] = u.DiffusionStepEmbedDim,
                    ["down_dims"] = u.DownDims, ["kernel"] = u.KernelSize, ["groups"] = u.NGroups, ["scale"] = u.CondPredictScale,
                }
                : null,
        };
        var configPath = Path.Combine(dir, "config.json");
        File.WriteAllText(configPath, JsonSerializer.Serialize(peerConfig));
        var weights = DiffusionTrainer<object>.UniqueStateDict(net)
            .Where(p => withUnet || p.Name.StartsWith("rgb_encoder.", StringComparison.Ordinal))
            .Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Tensor));
        Safetensors.Save(Path.Combine(dir, "weights.safetensors"), weights);
        Safetensors.Save(Path.Combine(dir, "inputs.safetensors"), inputs);
        var stdout = TorchPeer.Run("vision_policy_peer.py", configPath, Path.Combine(dir, "weights.safetensors"),
            Path.Combine(dir, "inputs.safetensors"), dir);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private static void AssertClose(Tensor ours, float[] theirs, string what)
    {
        var mine = ours.contiguous().data<float>().ToArray();
        Assert.True(mine.Length == theirs.Length, $"{what}: {mine.Length} values here, {theirs.Length} in the peer");
        double worst = 0;
        for (int i = 0; i < mine.Length; i++) worst = Math.Max(worst, Math.Abs(mine[i] - theirs[i]));
        Assert.True(worst <= 1e-5, $"{what}: max |difference| {worst:E3} exceeds 1e-5");
        Assert.Contains(mine, v => Math.Abs(v) > 1e-3);
    }
}
