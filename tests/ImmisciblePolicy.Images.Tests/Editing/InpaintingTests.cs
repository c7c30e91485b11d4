using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Images.Diffusion;
using ImmisciblePolicy.Images.Networks;
using ImmisciblePolicy.Images.Tests.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Tests.Editing;

public sealed class InpaintingTests
{
    public InpaintingTests() => TorchRuntime.Configure(1);

    private static ImageDiffusion Model(DiffusionObjective objective)
    {
        torch.manual_seed(5);
        var net = new UNet2D(UNet2DTests.Tiny(classes: 2));
        net.eval();
        return new ImageDiffusion(net, new ImageRunConfig { Unet = net.Config, Objective = objective });
    }

    private static Tensor LeftHalfMask() // (1, 1, 16, 16): 1 = regenerate the right half
    {
        var m = zeros(1, 1, 16, 16);
        m.narrow(3, 8, 8).fill_(1);
        return m;
    }

    [Theory]
    [InlineData(DiffusionObjective.Ddpm, ImageSamplerKind.Ddim)]
    [InlineData(DiffusionObjective.Ddpm, ImageSamplerKind.Ddpm)]
    [InlineData(DiffusionObjective.FlowMatching, ImageSamplerKind.FlowEuler)]
    [InlineData(DiffusionObjective.FlowMatching, ImageSamplerKind.FlowHeun)]
    public void Edit_WithMask_LeavesKnownRegionUnchangedAndRegeneratesTheRest(DiffusionObjective objective, ImageSamplerKind kind)
    {
        var model = Model(objective);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var g = new Generator(7);
        var image = rand(new long[] { 2, 1, 16, 16 }, generator: g).mul(2).sub(1);
        var mask = LeftHalfMask();
        var edited = model.Edit(image, mask, 1.0, tensor(new long[] { 0, 1 }), new SamplingOptions { Kind = kind, Steps = 10 }, g);
        float keptChange = edited.narrow(3, 0, 8).sub(image.narrow(3, 0, 8)).abs().max().item<float>();
        float newChange = edited.narrow(3, 8, 8).sub(image.narrow(3, 8, 8)).abs().mean().item<float>();
        Assert.True(keptChange < 1e-6f, $"known region changed by {keptChange}");
        Assert.True(newChange > 0.05f, $"masked region changed only by {newChange}");
    }

    [Fact]
    public void Edit_StrengthZero_ReturnsInput_AndStrengthOutsideUnitInterval_IsRejected()
    {
        var model = Model(DiffusionObjective.Ddpm);
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var image = zeros(1, 1, 16, 16).add(0.3);
        Assert.Equal(0f, model.Edit(image, null, 0, null, new SamplingOptions(), g).sub(image).abs().max().item<float>());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Edit(image, null, 1.5, null, new SamplingOptions(), g));
        Assert.Equal("strength", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Edit(image, null, -0.1, null, new SamplingOptions(), g));
    }

    [Fact]
    public void Edit_MaskOfOtherSize_IsRejected()
    {
        var model = Model(DiffusionObjective.Ddpm);
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var e = Assert.Throws<ArgumentException>(() => model.Edit(zeros(1, 1, 16, 16), zeros(1, 1, 8, 8), 1, null, new SamplingOptions(), g));
        Assert.Equal("mask", e.ParamName);
        Assert.Contains("8", e.Message);
    }

    [Fact]
    public void Edit_SdEditSmallStrength_StaysCloserToInputThanLargeStrength()
    {
        var model = Model(DiffusionObjective.FlowMatching);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var image = zeros(1, 1, 16, 16).add(0.5);
        double Change(double s)
        {
            using var g = new Generator(3);
            return model.Edit(image, null, s, null, new SamplingOptions { Steps = 10 }, g).sub(image).abs().mean().item<float>();
        }
        Assert.True(Change(0.1) < Change(0.9));
    }

    [Fact]
    public void Sample_WrongSamplerForObjective_IsRejected()
    {
        var model = Model(DiffusionObjective.Ddpm);
        using var g = new Generator(1);
        var e = Assert.Throws<ArgumentException>(() => model.Sample(1, null, new SamplingOptions { Kind = ImageSamplerKind.FlowEuler }, g));
        Assert.Contains("FlowEuler", e.Message);
    }
}
