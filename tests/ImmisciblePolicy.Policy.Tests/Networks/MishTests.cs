using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Policy.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests.Networks;

public class MishTests
{
    public MishTests() => TorchRuntime.Configure(1);

    private static byte[] Bytes(Tensor t)
    {
        using var c = t.detach().contiguous();
        return c.bytes.ToArray();
    }

    [Fact]
    public void Forward_AndGradient_AreBitIdenticalToTorchSharpsMish()
    {
        // Values across softplus's linear branch (beta x > 20) and far into the negative tail.
        using var scope = NewDisposeScope();
        using var g = new Generator(17);
        var values = cat([randn([4, 8, 16], generator: g) * 6, tensor(new float[] { -90, -20.5f, -1e-3f, 0, 1e-3f, 19.99f, 20, 20.01f, 45 }).reshape(1, 1, 9).expand(4, 8, 9)], 2);
        var ours = values.detach().clone().requires_grad_(true);
        var theirs = values.detach().clone().requires_grad_(true);
        var upstream = randn([4, 8, 25], generator: g);
        using var mish = PolicyNetworks.Mish();
        using var reference = nn.Mish();
        var yOurs = mish.forward(ours);
        var yTheirs = reference.forward(theirs);
        Assert.Equal(Bytes(yTheirs), Bytes(yOurs));
        (yOurs * upstream).sum().backward();
        (yTheirs * upstream).sum().backward();
        Assert.Equal(Bytes(theirs.grad!), Bytes(ours.grad!));
        // And it is Mish: x tanh(ln(1 + e^x)) in float64 on a few points.
        foreach (double x in new[] { -3.0, -0.5, 0.0, 0.7, 2.5 })
        {
            float expected = (float)(x * Math.Tanh(Math.Log(1 + Math.Exp(x))));
            Assert.Equal(expected, mish.forward(tensor(new[] { (float)x })).item<float>(), 6);
        }
    }
}
