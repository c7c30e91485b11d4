using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Torch;

public class TorchRuntimeTests
{
    [Fact]
    public void LinearLayer_ForwardAndBackward_MatchHandComputedValues()
    {
        TorchRuntime.Configure(1);
        using var scope = NewDisposeScope();
        // y = w . x + b with w = [2, -3], b = 0.5, x = [1.5, 4]: y = 3 - 12 + 0.5 = -8.5.
        using var layer = nn.Linear(2, 1);
        using (no_grad())
        {
            layer.weight!.copy_(tensor(new float[,] { { 2f, -3f } }));
            layer.bias!.copy_(tensor(new[] { 0.5f }));
        }
        var x = tensor(new[] { 1.5f, 4f }).reshape(1, 2);
        var y = layer.forward(x);
        Assert.Equal(-8.5f, y.item<float>(), 5);

        // loss = y^2 -> dL/dw = 2 y x = [-25.5, -68], dL/db = 2 y = -17.
        var loss = y.pow(2).sum();
        loss.backward();
        var gw = layer.weight!.grad!.data<float>().ToArray();
        Assert.Equal(-25.5f, gw[0], 4);
        Assert.Equal(-68f, gw[1], 4);
        Assert.Equal(-17f, layer.bias!.grad!.item<float>(), 4);
    }

    [Fact]
    public void ParseDevice_Cuda_WithoutCuda_NamesTheProblem()
    {
        if (cuda.is_available()) return; // on a GPU machine the device is valid
        var e = Assert.Throws<ArgumentException>(() => TorchRuntime.ParseDevice("cuda"));
        Assert.Contains("CUDA is not available", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configure_SetsRequestedThreadCount()
    {
        Assert.Equal(2, TorchRuntime.Configure(2));
        Assert.Equal(2, torch.get_num_threads());
        TorchRuntime.Configure(1);
    }
}
