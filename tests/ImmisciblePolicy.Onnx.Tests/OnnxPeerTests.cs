using ImmisciblePolicy.Core.Training;
using ImmisciblePolicy.Robotics;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Onnx.Tests;

/// <summary>
/// The outside peer: Debian's PyTorch 1.13 rebuilds diffusion_policy's ConditionalUnet1D with the reference's
/// module names (tests/peers/diffusion_policy_unet.py), loads our safetensors with strict=True and exports it
/// itself with torch.onnx.export (opset 17). Our ONNX Runtime engine runs that file, and its output must equal
/// the output of our own export (and of TorchSharp) on the same inputs.
/// </summary>
[Collection(TinyCheckpointCollection.Name)]
public sealed class OnnxPeerTests(TinyCheckpoint fx)
{
    [Fact]
    public void TorchOnnxExportOfTheUpstreamModule_OnOurCheckpoint_MatchesOurExport()
    {
        SystemPython.Require("torch", "onnx", "numpy");
        var peerFile = fx.TempFile("peer.onnx");
        SystemPython.RunPeer("diffusion_policy_unet.py", "export",
            "--config", Path.Combine(fx.Directory, PolicyCheckpoint.ConfigFile),
            "--safetensors", Path.Combine(fx.Directory, PolicyCheckpoint.WeightsFile), "--out", peerFile);
        var ourFile = fx.TempFile("ours.onnx");
        var result = PolicyOnnxExport.Export(fx.Directory, ourFile);
        var unet = result.Config.Policy.Unet;
        using var peer = OnnxDenoiser.Load(peerFile, expectedConfig: unet);
        using var ours = OnnxDenoiser.Load(ourFile);
        using var torchPolicy = PolicyCheckpoint.Load(fx.Directory);
        foreach (var (batch, horizon) in new[] { (1, 16), (7, 16), (32, 8), (3, 24) })
            AssertSameOutputs(peer, ours, torchPolicy.Network, batch, horizon, seed: batch * 31 + horizon);
    }

    [Theory]
    [InlineData("cpu-default")]
    [InlineData("four-levels-no-scale")]
    public void TorchOnnxExportOfTheUpstreamModule_OnRandomWeights_MatchesOurExport(string name)
    {
        SystemPython.Require("torch", "onnx", "numpy");
        var config = OnnxDenoiserTests.Configs(name);
        using var net = OnnxDenoiserTests.RandomNetwork(config, 42);
        var dir = fx.TempFile(name);
        Directory.CreateDirectory(dir);
        var weights = Path.Combine(dir, "model.safetensors");
        var configFile = Path.Combine(dir, "unet.json");
        Safetensors.Save(weights, DiffusionTrainer<object>.UniqueStateDict(net).Select(w => KeyValuePair.Create("ema_model." + w.Name, w.Tensor)));
        File.WriteAllText(configFile, OnnxMetadata.ConfigToJson(config));
        var peerFile = Path.Combine(dir, "peer.onnx");
        SystemPython.RunPeer("diffusion_policy_unet.py", "export", "--config", configFile, "--safetensors", weights, "--out", peerFile);
        using var peer = OnnxDenoiser.Load(peerFile, expectedConfig: config);
        using var ours = OnnxDenoiser.FromNetwork(net);
        AssertSameOutputs(peer, ours, net, 1, 16, seed: 1);
        AssertSameOutputs(peer, ours, net, 32, 32, seed: 2);
    }

    private static void AssertSameOutputs(OnnxDenoiser peer, OnnxDenoiser ours, Policy.Networks.IDenoiser torchNet, int batch, int horizon, int seed)
    {
        var c = ours.Config;
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var g = new Generator((ulong)seed);
        var sample = randn([batch, horizon, c.InputDim], generator: g);
        var cond = randn([batch, c.GlobalCondDim], generator: g);
        var t = randint(0, 100, [batch], dtype: int64, generator: g);
        var fromPeer = peer.forward(sample, t, cond);
        var fromOurs = ours.forward(sample, t, cond);
        var fromTorch = torchNet.forward(sample, t, cond);
        double peerVsOurs = (fromPeer - fromOurs).abs().max().item<float>();
        double oursVsTorch = (fromOurs - fromTorch).abs().max().item<float>();
        Assert.True(fromOurs.abs().max().item<float>() > 1e-3f, "outputs should not be trivially zero");
        Assert.True(peerVsOurs <= 1e-5, $"B={batch} T={horizon}: max |torch.onnx.export file - our export| = {peerVsOurs:E2}");
        Assert.True(oursVsTorch <= 1e-5, $"B={batch} T={horizon}: max |our export - TorchSharp| = {oursVsTorch:E2}");
    }
}
