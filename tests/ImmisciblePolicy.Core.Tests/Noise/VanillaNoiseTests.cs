using ImmisciblePolicy.Core.Noise;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Noise.NoiseTestData;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Noise;

public class VanillaNoiseTests
{
    [Fact]
    public void Vanilla_EqualsRandnOfSameShapeAndSeed()
    {
        Init();
        using var scope = NewDisposeScope();
        var x0 = Data(1, 4, 3, 2);
        using var g1 = new Generator(7);
        using var g2 = new Generator(7);
        var noise = new VanillaNoise().Assign(x0, g1);
        Assert.Equal(x0.shape, noise.shape);
        Assert.Equal(Values(randn([4, 3, 2], generator: g2)), Values(noise));
    }

    [Fact]
    public void Vanilla_EmptyBatch_IsRejectedWithShape()
    {
        Init();
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => new VanillaNoise().Assign(zeros(0, 3), null));
        Assert.Equal("x0", e.ParamName);
        Assert.Contains("(0, 3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vanilla_NaNInData_IsRejectedWithCount()
    {
        Init();
        using var scope = NewDisposeScope();
        var x0 = zeros(3, 2);
        x0[1, 1] = tensor(float.NaN);
        var e = Assert.Throws<ArgumentException>(() => new VanillaNoise().Assign(x0, null));
        Assert.Equal("x0", e.ParamName);
        Assert.Contains("1 NaN", e.Message, StringComparison.Ordinal);
    }
}
