using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Policy.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests.Networks;

public class Conv1dComponentsTests
{
    public Conv1dComponentsTests() => TorchRuntime.Configure(1);

    [Fact]
    public void Conv1dBlock_KeepsLength_ChangesChannels()
    {
        using var scope = NewDisposeScope();
        using var block = PolicyNetworks.Conv1dBlock(3, 16, kernelSize: 5);
        var y = block.forward(randn([2, 3, 16], generator: new Generator(1)));
        Assert.Equal([2L, 16L, 16L], y.shape);
    }

    [Fact]
    public void Conv1dBlock_OutputIsGroupNormalisedThenMish()
    {
        using var scope = NewDisposeScope();
        using var block = PolicyNetworks.Conv1dBlock(3, 16, kernelSize: 3, nGroups: 8);
        var x = randn([2, 3, 10], generator: new Generator(2));
        var y = block.forward(x);
        // Mish(z) = z tanh(softplus(z)) > -0.31 everywhere: a lower bound no plain conv output respects.
        Assert.True(y.min().item<float>() > -0.3089f, $"min {y.min().item<float>()}");
        // The pre-activation, read through the registered submodules, is normalised per sample and group.
        var children = block.named_modules().ToDictionary(m => m.name, m => m.module);
        var conv = (nn.Module<Tensor, Tensor>)children["block.0"];
        var norm = (nn.Module<Tensor, Tensor>)children["block.1"];
        var z = norm.forward(conv.forward(x)).reshape(2, 8, -1);             // (B, groups, 2 ch x T)
        Assert.True(z.mean(dimensions: [-1]).abs().max().item<float>() < 1e-4f);
        Assert.Equal(1.0, z.var(-1, unbiased: false).mean().item<float>(), 2);
    }

    [Fact]
    public void Conv1dBlock_GroupNormStartsAtIdentityAffine()
    {
        // Guards the workaround for TorchSharp 0.107's uninitialised GroupNorm parameters.
        using var block = PolicyNetworks.Conv1dBlock(3, 16, kernelSize: 3);
        var norm = (TorchSharp.Modules.GroupNorm)block.named_modules().Single(m => m.name == "block.1").module;
        Assert.All(norm.weight!.data<float>().ToArray(), w => Assert.Equal(1f, w));
        Assert.All(norm.bias!.data<float>().ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void Conv1dBlock_WithWrongChannels_NamesTheShape()
    {
        using var scope = NewDisposeScope();
        using var block = PolicyNetworks.Conv1dBlock(3, 16, kernelSize: 5);
        var e = Assert.Throws<ArgumentException>(() => block.forward(zeros(2, 4, 16)));
        Assert.Contains("(2, 4, 16)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conv1dBlock_WithChannelsNotDivisibleByGroups_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => PolicyNetworks.Conv1dBlock(3, 12, kernelSize: 5, nGroups: 8));
        Assert.Contains("outChannels=12", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16, 8)]
    [InlineData(15, 8)]
    [InlineData(1, 1)]
    public void Downsample1d_HalvesLengthRoundingUp(int length, int expected)
    {
        using var scope = NewDisposeScope();
        using var down = PolicyNetworks.Downsample1d(4);
        var y = down.forward(randn([2, 4, length], generator: new Generator(3)));
        Assert.Equal([2L, 4L, expected], y.shape);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    public void Upsample1d_DoublesLength(int length)
    {
        using var scope = NewDisposeScope();
        using var up = PolicyNetworks.Upsample1d(4);
        var y = up.forward(randn([2, 4, length], generator: new Generator(4)));
        Assert.Equal([2L, 4L, 2L * length], y.shape);
    }

    [Fact]
    public void Resamplers_WithWrongChannels_NameTheShape()
    {
        using var scope = NewDisposeScope();
        using var down = PolicyNetworks.Downsample1d(4);
        using var up = PolicyNetworks.Upsample1d(4);
        Assert.Contains("(1, 5, 8)", Assert.Throws<ArgumentException>(() => down.forward(zeros(1, 5, 8))).Message, StringComparison.Ordinal);
        Assert.Contains("(4, 8)", Assert.Throws<ArgumentException>(() => up.forward(zeros(4, 8))).Message, StringComparison.Ordinal);
    }
}
