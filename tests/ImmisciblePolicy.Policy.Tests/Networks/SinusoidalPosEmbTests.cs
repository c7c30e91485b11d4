using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Policy.Networks;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests.Networks;

public class SinusoidalPosEmbTests
{
    public SinusoidalPosEmbTests() => TorchRuntime.Configure(1);

    [Fact]
    public void Forward_MatchesSinCosFormula()
    {
        using var scope = NewDisposeScope();
        using var emb = PolicyNetworks.SinusoidalPosEmb(8);
        long[] steps = [0, 3, 99];
        var y = emb.forward(tensor(steps));
        Assert.Equal([3L, 8L], y.shape);
        var v = y.data<float>().ToArray();
        // half = 4 frequencies f_i = exp(-i ln(10000) / (half - 1)); row = [sin(t f_0..3), cos(t f_0..3)].
        for (int b = 0; b < steps.Length; b++)
            for (int i = 0; i < 4; i++)
            {
                double f = Math.Exp(-i * Math.Log(10000.0) / 3.0);
                Assert.Equal(Math.Sin(steps[b] * f), v[b * 8 + i], 5);
                Assert.Equal(Math.Cos(steps[b] * f), v[b * 8 + 4 + i], 5);
            }
    }

    [Fact]
    public void Forward_With2DInput_NamesTheShape()
    {
        using var scope = NewDisposeScope();
        using var emb = PolicyNetworks.SinusoidalPosEmb(8);
        var e = Assert.Throws<ArgumentException>(() => emb.forward(zeros(2, 1)));
        Assert.Contains("(2, 1)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    public void Constructor_WithOddOrTinySize_Throws(int dim) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PolicyNetworks.SinusoidalPosEmb(dim));
}
