using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Onnx.Tests;

public class OnnxDenoiserTests
{
    public OnnxDenoiserTests() => TorchRuntime.Configure(1);

    public static TheoryData<string, int, int> Networks() => new()
    {
        // (name of a config in Configs, horizon, batch)
        { "cpu-default", 16, 1 },
        { "cpu-default", 16, 32 },
        { "narrow-two-levels", 8, 3 },
        { "narrow-two-levels", 24, 32 },
        { "four-levels-no-scale", 16, 1 },
        { "four-levels-no-scale", 32, 5 },
        { "kernel3-groups4", 12, 7 },
    };

    internal static UnetConfig Configs(string name) => name switch
    {
        "cpu-default" => new UnetConfig { DownDims = [32, 64, 128], DiffusionStepEmbedDim = 32 },
        "narrow-two-levels" => new UnetConfig { InputDim = 3, GlobalCondDim = 10, DownDims = [16, 32], DiffusionStepEmbedDim = 16 },
        "four-levels-no-scale" => new UnetConfig { InputDim = 2, GlobalCondDim = 6, DownDims = [16, 16, 32, 32], DiffusionStepEmbedDim = 8, CondPredictScale = false },
        "kernel3-groups4" => new UnetConfig { InputDim = 4, GlobalCondDim = 12, DownDims = [8, 16, 24], DiffusionStepEmbedDim = 12, KernelSize = 3, NGroups = 4 },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown test network"),
    };

    /// <summary>
    /// A network with random weights everywhere, GroupNorm affine included (TorchSharp leaves it at 1/0), so
    /// every parameter the export writes is exercised.
    /// </summary>
    internal static ConditionalUnet1D RandomNetwork(UnetConfig config, int seed)
    {
        torch.manual_seed(seed);
        var net = PolicyNetworks.ConditionalUnet1D(config);
        using (no_grad())
        {
            var g = new Generator((ulong)seed + 1000);
            foreach (var (name, p) in net.named_parameters())
                if (name.Contains(".block.1.", StringComparison.Ordinal))
                    p.copy_(randn(p.shape, generator: g) * 0.3 + (name.EndsWith("weight", StringComparison.Ordinal) ? 1 : 0));
        }
        net.eval();
        return net;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void OnnxForward_EqualsTorchSharpForward_OnRandomInputs(string name, int horizon, int batch)
    {
        var config = Configs(name);
        using var net = RandomNetwork(config, seed: horizon * 100 + batch);
        using var onnx = OnnxDenoiser.FromNetwork(net);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var g = new Generator(7);
        var sample = randn([batch, horizon, config.InputDim], generator: g) * 1.5;
        var cond = randn([batch, config.GlobalCondDim], generator: g);
        var t = randint(0, 100, [batch], dtype: int64, generator: g);
        var expected = net.forward(sample, t, cond);
        var actual = onnx.forward(sample, t, cond);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.abs().max().item<float>() > 0.3f, "the random network should produce outputs of order 1");
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= 1e-5, $"{name} T={horizon} B={batch}: scale {expected.abs().max().item<float>()} max |torch - onnx| = {diff:E2}");
        // and a scalar timestep broadcasts exactly as in TorchSharp
        var scalar = onnx.forward(sample, tensor(37L), cond);
        double scalarDiff = (net.forward(sample, tensor(37L), cond) - scalar).abs().max().item<float>();
        Assert.True(scalarDiff <= 1e-5, $"scalar timestep: max |torch - onnx| = {scalarDiff:E2}");
    }

    [Fact]
    public void OnnxDenoiser_ReportsItsEngineConfigAndParameterCount()
    {
        var config = Configs("narrow-two-levels");
        using var net = RandomNetwork(config, 1);
        using var onnx = OnnxDenoiser.FromNetwork(net);
        Assert.Equal(PolicyEngine.Onnx, onnx.Engine);
        Assert.Equal(PolicyEngine.Torch, net.Engine);
        Assert.Equal(config, onnx.Config);
        Assert.Equal(net.ParameterCount, onnx.ParameterCount);
        Assert.Equal(WeightsHash.Of(net), onnx.Metadata[OnnxMetadata.WeightsSha256]);
    }

    [Fact]
    public void Forward_KeepsTheLiveTensorCountFlat()
    {
        var config = Configs("narrow-two-levels");
        using var net = RandomNetwork(config, 2);
        using var onnx = OnnxDenoiser.FromNetwork(net);
        using var outer = NewDisposeScope();
        var sample = randn(4, 8, 3);
        var cond = randn(4, 10);
        var t = tensor(5L);
        void Once()
        {
            using var scope = NewDisposeScope();
            onnx.forward(sample, t, cond);
        }
        Once();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 200; i++) Once();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Forward_FromSeveralThreadsAtOnce_GivesTheSingleThreadResult()
    {
        var config = Configs("narrow-two-levels");
        using var net = RandomNetwork(config, 3);
        using var onnx = OnnxDenoiser.FromNetwork(net);
        float[] Run(int seed)
        {
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)seed);
            return onnx.forward(randn([2, 8, 3], generator: g), tensor(seed % 100L), randn([2, 10], generator: g)).data<float>().ToArray();
        }
        var expected = Enumerable.Range(0, 8).Select(Run).ToArray();
        var parallel = new float[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = Run(i));
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i], parallel[i]);
    }
}
