using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Training;

public class EmaModelTests
{
    public EmaModelTests() => TorchRuntime.Configure(1);

    private static readonly EmaConfig Published = new();

    [Theory]
    [InlineData(0L, 0.0)]                      // s = max(0, 0 - 0 - 1) = 0 -> plain copy
    [InlineData(1L, 0.0)]                      // s = 0 again: the reference's "- 1" offset
    [InlineData(2L, 0.4053964424986395)]       // 1 - 2^-0.75
    [InlineData(10L, 0.8221720589961077)]      // 1 - 10^-0.75
    [InlineData(1000L, 0.9943765867480965)]    // 1 - 1000^-0.75
    [InlineData(1_000_000_000L, 0.9999)]       // 1 - 1e9^-0.75 = 0.99999982, capped at max_value
    public void Decay_MatchesWarmupFormula(long step, double expected)
    {
        Assert.Equal(expected, EmaModel.Decay(step, Published), 12);
        long s = Math.Max(0, step - 1);
        double formula = s == 0 ? 0 : Math.Min(1 - Math.Pow(1 + s, -0.75), 0.9999);
        Assert.Equal(formula, EmaModel.Decay(step, Published), 15);
    }

    [Fact]
    public void Decay_WithUpdateAfterStep_StaysZeroUntilItPasses()
    {
        var config = new EmaConfig { UpdateAfterStep = 5, InvGamma = 2, Power = 2.0 / 3 };
        Assert.Equal(0.0, EmaModel.Decay(6, config));
        Assert.Equal(1 - Math.Pow(1 + 1 / 2.0, -2.0 / 3), EmaModel.Decay(7, config), 15);
    }

    private static nn.Module<Tensor, Tensor> Linear(float w0, float w1, float b)
    {
        var layer = nn.Linear(2, 1);
        Set(layer, w0, w1, b);
        return layer;
    }

    private static void Set(nn.Module<Tensor, Tensor> module, float w0, float w1, float b)
    {
        var layer = (TorchSharp.Modules.Linear)module;
        using var _ = no_grad();
        layer.weight!.copy_(tensor(new[,] { { w0, w1 } }));
        layer.bias!.copy_(tensor(new[] { b }));
    }

    private static float[] Values(nn.Module m) => m.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [Fact]
    public void Step_FollowsTheEmaRecursionOnATinyModule()
    {
        using var scope = NewDisposeScope();
        using var online = Linear(1, 2, 3);
        using var shadow = Linear(-9, -9, -9);
        var ema = new EmaModel(shadow, Published);

        ema.Step(online);                                                // decay 0: copy
        Assert.Equal([1f, 2f, 3f], Values(shadow));
        Set(online, 3, -2, 1);
        ema.Step(online);                                                // decay 0 again
        Assert.Equal([3f, -2f, 1f], Values(shadow));
        Set(online, 5, 0, -1);
        ema.Step(online);                                                // decay d = 1 - 2^-0.75
        double d = 1 - Math.Pow(2, -0.75);
        float[] expected = [(float)(d * 3 + (1 - d) * 5), (float)(d * -2 + (1 - d) * 0), (float)(d * 1 + (1 - d) * -1)];
        var actual = Values(shadow);
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], actual[i], 5);
        Assert.Equal(d, ema.CurrentDecay, 15);
        Assert.Equal(3, ema.OptimizationStep);
        Assert.Equal([5f, 0f, -1f], Values(online));                     // the online model is never modified
    }

    [Fact]
    public void Step_CopiesParametersThatDoNotRequireGrad()
    {
        using var scope = NewDisposeScope();
        using var online = Linear(1, 1, 1);
        using var shadow = Linear(0, 0, 0);
        ((TorchSharp.Modules.Linear)online).bias!.requires_grad = false;
        var ema = new EmaModel(shadow, Published);
        ema.Step(online);
        ema.Step(online);
        Set(online, 4, 4, 4);
        ((TorchSharp.Modules.Linear)online).bias!.requires_grad = false;
        ema.Step(online);                                                // decay > 0 now
        var v = Values(shadow);
        Assert.NotEqual(4f, v[0]);                                       // weights averaged
        Assert.Equal(4f, v[2]);                                          // frozen bias copied
    }

    [Fact]
    public void Step_CopiesBatchNormParametersAndBuffers()
    {
        using var scope = NewDisposeScope();
        using var online = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2));
        using var shadow = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2));
        var ema = new EmaModel(shadow, Published);
        for (int i = 0; i < 3; i++)
        {
            online.train();
            using (no_grad())
            {
                foreach (var p in online.parameters()) p.add_(1f);
                online.forward(randn([8, 2], generator: new Generator((ulong)i)));  // moves BatchNorm running stats
            }
            ema.Step(online);
        }
        Assert.True(ema.CurrentDecay > 0);
        var o = online.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var s = shadow.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.True(o["1.weight"].eq(s["1.weight"]).all().item<bool>());    // BatchNorm: copied
        Assert.True(o["1.bias"].eq(s["1.bias"]).all().item<bool>());
        Assert.False(o["0.weight"].eq(s["0.weight"]).all().item<bool>());   // Linear: averaged
        var ob = online.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        var sb = shadow.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        Assert.True(ob["1.running_mean"].eq(sb["1.running_mean"]).all().item<bool>());
    }

    [Fact]
    public void Constructor_FreezesTheAveragedCopyInEvalMode()
    {
        using var shadow = Linear(0, 0, 0);
        _ = new EmaModel(shadow, Published);
        Assert.False(shadow.training);
        Assert.All(shadow.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Step_WithDifferentArchitecture_NamesTheMismatch()
    {
        using var scope = NewDisposeScope();
        using var online = nn.Linear(3, 1);
        using var shadow = nn.Linear(2, 1);
        var ema = new EmaModel(shadow, Published);
        var e = Assert.Throws<ArgumentException>(() => ema.Step(online));
        Assert.Contains("'weight' (1, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("'weight' (1, 2)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_WithMaxValueOne_IsRejected() =>
        Assert.Throws<ArgumentException>(() => new EmaModel(nn.Linear(1, 1), new EmaConfig { MaxValue = 1.0 }));
}
