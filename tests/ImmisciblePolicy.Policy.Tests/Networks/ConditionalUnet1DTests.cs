using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Policy.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests.Networks;

public class ConditionalUnet1DTests
{
    public ConditionalUnet1DTests() => TorchRuntime.Configure(1);

    /// <summary>A narrow network for fast forward/backward tests; same topology as the real ones.</summary>
    private static readonly UnetConfig Tiny = new()
    {
        InputDim = 2, GlobalCondDim = 6, DiffusionStepEmbedDim = 16, DownDims = [16, 32, 64], KernelSize = 5,
    };

    // ---- Parameter-count oracle, written from the layer formulas and the reference's layout
    // (real-stanford/diffusion_policy conditional_unet1d.py), independently of the module code.
    private static long Conv(long cin, long cout, long k) => cout * cin * k + cout;   // weight + bias
    private static long Linear(long cin, long cout) => cin * cout + cout;
    private static long GroupNorm(long c) => 2 * c;                                   // affine gamma, beta
    private static long Block(long cin, long cout, long k) => Conv(cin, cout, k) + GroupNorm(cout);
    private static long ResBlock(long cin, long cout, long cond, long k, bool scale) =>
        Block(cin, cout, k) + Block(cout, cout, k) + Linear(cond, scale ? 2 * cout : cout)
        + (cin != cout ? Conv(cin, cout, 1) : 0);

    private static long ExpectedParameters(UnetConfig c)
    {
        long dsed = c.DiffusionStepEmbedDim, cond = dsed + c.GlobalCondDim, k = c.KernelSize;
        bool s = c.CondPredictScale;
        long total = Linear(dsed, 4 * dsed) + Linear(4 * dsed, dsed);                  // step MLP
        var dims = new long[] { c.InputDim }.Concat(c.DownDims.Select(d => (long)d)).ToArray();
        int levels = c.DownDims.Count;
        for (int i = 0; i < levels; i++)                                               // down path
        {
            total += ResBlock(dims[i], dims[i + 1], cond, k, s) + ResBlock(dims[i + 1], dims[i + 1], cond, k, s);
            if (i < levels - 1) total += Conv(dims[i + 1], dims[i + 1], 3);            // Downsample1d
        }
        total += 2 * ResBlock(dims[levels], dims[levels], cond, k, s);                 // mid
        for (int i = levels - 1; i >= 1; i--)                                          // up path over in_out[1:] reversed
        {
            long dIn = dims[i], dOut = dims[i + 1];
            total += ResBlock(2 * dOut, dIn, cond, k, s) + ResBlock(dIn, dIn, cond, k, s)
                     + dIn * dIn * 4 + dIn;                                            // ConvTranspose1d(dIn, dIn, 4)
        }
        total += Block(dims[1], dims[1], k) + Conv(dims[1], c.InputDim, 1);            // final_conv
        return total;
    }

    [Fact]
    public void PublishedLowDimConfig_HasTheReferenceParameterCount()
    {
        var published = UnetConfig.PublishedLowDim;
        Assert.Equal([256, 512, 1024], published.DownDims);
        Assert.Equal(256, published.DiffusionStepEmbedDim);
        Assert.Equal(40, published.GlobalCondDim);
        // 65,783,298 was confirmed by building the reference architecture in PyTorch 1.13.1 (Debian
        // python3-torch) and summing p.numel(); diffusion_policy logs it as "number of parameters: 6.578330e+07".
        Assert.Equal(65_783_298L, ExpectedParameters(published));
        using var unet = PolicyNetworks.ConditionalUnet1D(published);
        Assert.Equal(65_783_298L, unet.ParameterCount);
    }

    [Fact]
    public void DefaultCpuConfig_HasTheOracleParameterCount()
    {
        var config = new UnetConfig();
        // Confirmed with the same PyTorch re-implementation: 4,231,554.
        Assert.Equal(4_231_554L, ExpectedParameters(config));
        using var unet = PolicyNetworks.ConditionalUnet1D(config);
        Assert.Equal(ExpectedParameters(config), unet.ParameterCount);
    }

    [Fact]
    public void Forward_ReturnsActionChunkShape()
    {
        using var scope = NewDisposeScope();
        using var unet = PolicyNetworks.ConditionalUnet1D(new UnetConfig());
        var g = new Generator(10);
        var y = unet.forward(randn([3, 16, 2], generator: g), tensor(new long[] { 0, 50, 99 }), randn([3, 40], generator: g));
        Assert.Equal([3L, 16L, 2L], y.shape);
    }

    [Fact]
    public void Forward_RowsAreIndependentOfTheRestOfTheBatch()
    {
        using var scope = NewDisposeScope();
        using var unet = PolicyNetworks.ConditionalUnet1D(Tiny);
        var g = new Generator(11);
        var x = randn([3, 8, 2], generator: g);
        var t = tensor(new long[] { 1, 40, 99 });
        var c = randn([3, 6], generator: g);
        using var _ = no_grad();
        var all = unet.forward(x, t, c);
        var one = unet.forward(x[1..2], t[1..2], c[1..2]);
        Assert.True(allclose(all[1..2], one, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Forward_ScalarTimestep_BroadcastsToTheBatch()
    {
        using var scope = NewDisposeScope();
        using var unet = PolicyNetworks.ConditionalUnet1D(Tiny);
        var g = new Generator(12);
        var x = randn([2, 8, 2], generator: g);
        var c = randn([2, 6], generator: g);
        using var _ = no_grad();
        var scalar = unet.forward(x, tensor(7L), c);
        var perRow = unet.forward(x, tensor(new long[] { 7, 7 }), c);
        Assert.True(allclose(scalar, perRow, rtol: 0, atol: 0));
    }

    [Fact]
    public void Forward_DependsOnTimestepAndCondition()
    {
        using var scope = NewDisposeScope();
        using var unet = PolicyNetworks.ConditionalUnet1D(Tiny);
        var g = new Generator(13);
        var x = randn([1, 8, 2], generator: g);
        var c = randn([1, 6], generator: g);
        using var _ = no_grad();
        var y = unet.forward(x, tensor(new long[] { 5 }), c);
        Assert.False(allclose(y, unet.forward(x, tensor(new long[] { 60 }), c), rtol: 1e-4, atol: 1e-5));
        Assert.False(allclose(y, unet.forward(x, tensor(new long[] { 5 }), c + 1f), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void ZeroInitialisedFinalConv_OutputsExactlyZero()
    {
        using var scope = NewDisposeScope();
        using var unet = PolicyNetworks.ConditionalUnet1D(Tiny);
        using (no_grad())
        {
            unet.FinalProjection.weight!.zero_();
            unet.FinalProjection.bias!.zero_();
        }
        var g = new Generator(14);
        var y = unet.forward(randn([2, 8, 2], generator: g), tensor(new long[] { 3, 9 }), randn([2, 6], generator: g));
        Assert.Equal(0f, y.abs().max().item<float>());
    }

    [Fact]
    public void Backward_ReachesEveryParameter()
    {
        // The reference leaves no parameter unused in the global-conditioning configuration: the unconsumed
        // first-level skip is an activation, not a module, and it still feeds the first Downsample1d.
        using var scope = NewDisposeScope();
        using var unet = PolicyNetworks.ConditionalUnet1D(Tiny);
        var g = new Generator(15);
        var y = unet.forward(randn([2, 8, 2], generator: g), tensor(new long[] { 3, 90 }), randn([2, 6], generator: g));
        y.square().mean().backward();
        var missing = unet.named_parameters()
            .Where(p => p.parameter.grad is null || p.parameter.grad.abs().max().item<float>() == 0f)
            .Select(p => p.name).ToList();
        Assert.True(missing.Count == 0, $"parameters without gradient: {string.Join(", ", missing)}");
    }

    /// <summary>
    /// Deterministic weight pattern shared with the PyTorch check: 0.3 sin(0.7 j + h(name)) for element j of
    /// the parameter called name, h(name) = (sum over characters of (i + 1) * code) mod 1000 / 100.
    /// </summary>
    private static float[] Pattern(string name, long count)
    {
        long sum = 0;
        for (int i = 0; i < name.Length; i++) sum += (i + 1) * name[i];
        double h = sum % 1000 / 100.0;
        return Enumerable.Range(0, (int)count).Select(j => (float)(0.3 * Math.Sin(0.7 * j + h))).ToArray();
    }

    [Fact]
    public void Forward_MatchesThePyTorchReferenceOnPatternWeights()
    {
        // Golden output of the reference ConditionalUnet1D (conditional_unet1d.py, rebuilt in PyTorch 1.13.1 with
        // the reference's module names, cond_predict_scale=True, kernel 5, down_dims [16, 32, 64], dsed 16,
        // global_cond_dim 6), weights loaded by name with Pattern, inputs as below, timesteps [3, 77].
        float[] golden = [-0.2083388f, 0.0004677f, -0.3044386f, -0.0049477f, -0.3044378f, -0.0009585f, -0.3655592f, 0.0040865f, -0.3230704f, 0.0039755f, -0.2923564f, -0.0018506f, -0.2607093f, -0.0618185f, -0.1445920f, -0.0732613f, -0.2092242f, 0.0003980f, -0.3055018f, -0.0048786f, -0.3036870f, -0.0008855f, -0.3651181f, 0.0038524f, -0.3227323f, 0.0032154f, -0.2924858f, -0.0023938f, -0.2622747f, -0.0620304f, -0.1449994f, -0.0730448f];
        using var scope = NewDisposeScope();
        using var unet = PolicyNetworks.ConditionalUnet1D(Tiny);
        using (no_grad())
            foreach (var (name, p) in unet.named_parameters())
                p.copy_(tensor(Pattern(name, p.numel())).reshape(p.shape));
        var x = tensor(Enumerable.Range(0, 2 * 8 * 2).Select(i => (float)Math.Sin(0.1 * i + 0.3)).ToArray()).reshape(2, 8, 2);
        var c = tensor(Enumerable.Range(0, 2 * 6).Select(i => (float)Math.Cos(0.2 * i)).ToArray()).reshape(2, 6);
        using var _ = no_grad();
        var y = unet.forward(x, tensor(new long[] { 3, 77 }), c).data<float>().ToArray();
        for (int i = 0; i < golden.Length; i++)
            Assert.True(Math.Abs(golden[i] - y[i]) < 2e-5, $"element {i}: reference {golden[i]}, ours {y[i]}");
    }

    [Fact]
    public void ParameterNames_FollowTheReferenceStateDict()
    {
        using var unet = PolicyNetworks.ConditionalUnet1D(Tiny);
        var names = unet.named_parameters().Select(p => p.name).ToHashSet();
        string[] expected =
        [
            "mid_modules.0.blocks.0.block.0.weight",
            "mid_modules.1.cond_encoder.1.bias",
            "diffusion_step_encoder.1.weight",
            "diffusion_step_encoder.3.bias",
            "down_modules.0.0.residual_conv.weight",
            "down_modules.0.2.conv.weight",
            "down_modules.2.1.blocks.1.block.1.weight",
            "up_modules.0.0.residual_conv.weight",
            "up_modules.1.2.conv.bias",
            "final_conv.0.block.0.weight",
            "final_conv.1.weight",
        ];
        foreach (var name in expected) Assert.Contains(name, names);
        Assert.DoesNotContain(names, n => n.StartsWith("down_modules.2.2", StringComparison.Ordinal)); // no downsample on the last level
    }

    [Theory]
    [InlineData(6)]
    [InlineData(10)]
    public void Forward_WithHorizonNotMultipleOfFour_NamesTheHorizon(int horizon)
    {
        using var scope = NewDisposeScope();
        using var unet = PolicyNetworks.ConditionalUnet1D(Tiny);
        var e = Assert.Throws<ArgumentException>(() => unet.forward(zeros(1, horizon, 2), tensor(0L), zeros(1, 6)));
        Assert.Contains($"T={horizon}", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Tiny.ValidateHorizon(horizon));
    }

    [Fact]
    public void Forward_WithWrongConditionWidth_NamesTheShape()
    {
        using var scope = NewDisposeScope();
        using var unet = PolicyNetworks.ConditionalUnet1D(Tiny);
        var e = Assert.Throws<ArgumentException>(() => unet.forward(zeros(2, 8, 2), tensor(0L), zeros(2, 5)));
        Assert.Equal("globalCond", e.ParamName);
        Assert.Contains("(2, 5)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_WithDimsNotDivisibleByGroups_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => PolicyNetworks.ConditionalUnet1D(Tiny with { DownDims = [16, 30] }));
        Assert.Contains("30", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_EqualityAndPrintingUseDownDimsValues()
    {
        Assert.Equal(new UnetConfig { DownDims = [64, 128, 256] }, new UnetConfig());
        Assert.Equal(new UnetConfig { DownDims = [64, 128, 256] }.GetHashCode(), new UnetConfig().GetHashCode());
        Assert.NotEqual(new UnetConfig { DownDims = [64, 128] }, new UnetConfig());
        Assert.Contains("DownDims = [64, 128, 256]", new UnetConfig().ToString(), StringComparison.Ordinal);
    }
}
