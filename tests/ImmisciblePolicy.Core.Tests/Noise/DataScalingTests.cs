using ImmisciblePolicy.Core.Noise;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Noise.NoiseTestData;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Noise;

public class DataScalingTests
{
    [Fact]
    public void Scaling_MultipliesThenUnscaleRestores()
    {
        Init();
        using var scope = NewDisposeScope();
        var scaling = new DataScaling(2.0);
        var x0 = Data(6, 4, 3);
        var scaled = scaling.Scale(x0);
        var expected = Values(x0).Select(v => 2f * v).ToArray();
        Assert.Equal(expected, Values(scaled));
        var back = Values(scaling.Unscale(scaled));
        var original = Values(x0);
        for (int i = 0; i < original.Length; i++) Assert.Equal(original[i], back[i], 6);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Scaling_NonPositiveOrNonFiniteFactor_IsRejected(double s)
    {
        var e = Assert.Throws<ArgumentException>(() => new DataScaling(s));
        Assert.Equal("factor", e.ParamName);
        Assert.Contains("> 0", e.Message, StringComparison.Ordinal);
        var c = Assert.Throws<ArgumentException>(() => new NoiseAssignmentConfig { DataScale = s }.Validate());
        Assert.Equal("DataScale", c.ParamName);
    }

    [Fact]
    public void Scaling_FromDefaultConfig_IsIdentity() =>
        Assert.True(DataScaling.FromConfig(new NoiseAssignmentConfig()).IsIdentity);
}
