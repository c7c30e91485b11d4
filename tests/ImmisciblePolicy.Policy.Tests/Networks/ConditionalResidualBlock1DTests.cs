using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Policy.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests.Networks;

public class ConditionalResidualBlock1DTests
{
    public ConditionalResidualBlock1DTests() => TorchRuntime.Configure(1);

    [Fact]
    public void Forward_MapsChannelsAndKeepsLength()
    {
        using var scope = NewDisposeScope();
        using var block = PolicyNetworks.ConditionalResidualBlock1D(8, 16, condDim: 12, kernelSize: 5);
        var g = new Generator(5);
        var y = block.forward(randn([3, 8, 8], generator: g), randn([3, 12], generator: g));
        Assert.Equal([3L, 16L, 8L], y.shape);
    }

    [Fact]
    public void Film_AppliesScaleThenBias_FromTheConditionEncoder()
    {
        using var scope = NewDisposeScope();
        using var block = PolicyNetworks.ConditionalResidualBlock1D(8, 16, condDim: 4, kernelSize: 3);
        var modules = block.named_modules().ToDictionary(m => m.name, m => m.module);
        var linear = (TorchSharp.Modules.Linear)modules["cond_encoder.1"];
        using (no_grad())
        {
            // Zero weights make the encoder output its bias: first 16 entries are the scale, last 16 the bias.
            linear.weight!.zero_();
            linear.bias!.copy_(cat([full(16, 2f), full(16, 0.5f)]));
        }
        var g = new Generator(6);
        var x = randn([2, 8, 8], generator: g);
        var y = block.forward(x, randn([2, 4], generator: g));
        var block1 = (Conv1dBlock)modules["blocks.0"];
        var block2 = (Conv1dBlock)modules["blocks.1"];
        var residual = (nn.Module<Tensor, Tensor>)modules["residual_conv"];
        var expected = block2.forward(2f * block1.forward(x) + 0.5f) + residual.forward(x);
        Assert.True(allclose(y, expected, rtol: 1e-5, atol: 1e-5), $"max diff {(y - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void SameChannels_HasNoResidualConv_AndAddsInputUnchanged()
    {
        using var scope = NewDisposeScope();
        using var block = PolicyNetworks.ConditionalResidualBlock1D(16, 16, condDim: 4, kernelSize: 3);
        Assert.DoesNotContain(block.named_parameters(), p => p.name.StartsWith("residual_conv", StringComparison.Ordinal));
        // Zero the affine GroupNorm of the second conv block: its output is Mish(0) = 0, leaving only the skip.
        var norm = (TorchSharp.Modules.GroupNorm)block.named_modules().Single(m => m.name == "blocks.1.block.1").module;
        using (no_grad())
        {
            norm.weight!.zero_();
            norm.bias!.zero_();
        }
        var g = new Generator(7);
        var x = randn([2, 16, 8], generator: g);
        var y = block.forward(x, randn([2, 4], generator: g));
        Assert.True(allclose(y, x, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Forward_WithMismatchedCondition_NamesTheShape()
    {
        using var scope = NewDisposeScope();
        using var block = PolicyNetworks.ConditionalResidualBlock1D(8, 16, condDim: 12);
        var e = Assert.Throws<ArgumentException>(() => block.forward(zeros(3, 8, 8), zeros(3, 11)));
        Assert.Contains("(3, 11)", e.Message, StringComparison.Ordinal);
        Assert.Equal("cond", e.ParamName);
    }
}
