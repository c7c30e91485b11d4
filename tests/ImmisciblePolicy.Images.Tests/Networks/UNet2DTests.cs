using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Images.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Tests.Networks;

public sealed class UNet2DTests
{
    public UNet2DTests() => TorchRuntime.Configure(1);

    internal static UNet2DConfig Tiny(int classes = 0, int size = 16) =>
        new() { ImageSize = size, Channels = [8, 16], NormGroups = 4, NumClasses = classes };

    [Fact]
    public void Forward_DefaultFashionConfig_Maps28To28WithoutPadding()
    {
        torch.manual_seed(0);
        using var net = new UNet2D(new UNet2DConfig { NumClasses = 10 });
        using var scope = NewDisposeScope();
        var y = net.forward(randn(2, 1, 28, 28), tensor(new float[] { 3, 900 }), tensor(new long[] { 1, 10 }));
        Assert.Equal(new long[] { 2, 1, 28, 28 }, y.shape);
        Assert.True(y.isfinite().all().item<bool>());
    }

    [Fact]
    public void GroupNorms_StartAtIdentityAffine()
    {
        using var net = new UNet2D(Tiny());
        foreach (var (name, p) in net.named_parameters())
        {
            if (!name.Contains("norm", StringComparison.OrdinalIgnoreCase)) continue;
            float expected = name.EndsWith("weight", StringComparison.Ordinal) ? 1f : 0f;
            Assert.All(p.data<float>().ToArray(), v => Assert.Equal(expected, v));
        }
        Assert.Contains(net.named_parameters(), p => p.name.Contains("norm", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Forward_ClassLabel_ChangesOutput_AndNullLabelEqualsNoLabel()
    {
        torch.manual_seed(1);
        using var net = new UNet2D(Tiny(classes: 3));
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var x = randn(1, 1, 16, 16);
        var t = tensor(new float[] { 500 });
        var a = net.forward(x, t, tensor(new long[] { 0 }));
        var b = net.forward(x, t, tensor(new long[] { 1 }));
        var none = net.forward(x, t, null);
        var nul = net.forward(x, t, tensor(new long[] { net.NullClass }));
        Assert.True(a.sub(b).abs().max().item<float>() > 1e-4f);
        Assert.Equal(0f, none.sub(nul).abs().max().item<float>());
    }

    [Fact]
    public void Forward_WrongShape_NamesExpectedAndReceived()
    {
        using var net = new UNet2D(Tiny());
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => net.forward(zeros(1, 1, 12, 12), zeros(1), null));
        Assert.Contains("(B, 1, 16, 16)", e.Message);
        Assert.Contains("12", e.Message);
    }

    [Fact]
    public void Config_SizeNotDivisibleByLevels_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new UNet2DConfig { ImageSize = 28, Channels = [8, 8, 8, 8] }.Validate());
        Assert.Equal("ImageSize", e.ParamName);
        Assert.Throws<ArgumentException>(() => new UNet2DConfig { Channels = [12], NormGroups = 8 }.Validate());
    }
}
