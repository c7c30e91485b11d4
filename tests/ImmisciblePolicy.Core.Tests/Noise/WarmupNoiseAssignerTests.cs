using ImmisciblePolicy.Core.Noise;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Noise.NoiseTestData;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Noise;

public class WarmupNoiseAssignerTests
{
    [Fact]
    public void Warmup_IsVanillaBeforeTheSwitchStep_AndInnerFromIt()
    {
        Init();
        using var scope = NewDisposeScope();
        var inner = new KnnNoiseSelector(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = 8 });
        var warm = new WarmupNoiseAssigner(inner, warmupSteps: 10);
        var x0 = Data(2, 16, 6) * 3;
        float[] Run(INoiseAssigner a, long step)
        {
            using var g = new Generator(4);
            return Values(a.Assign(x0, g, step));
        }
        var vanilla = Run(new VanillaNoise(), 0);
        var knn = Run(inner, 0);
        Assert.NotEqual(vanilla, knn);
        Assert.Equal(vanilla, Run(warm, 0));
        Assert.Equal(vanilla, Run(warm, 9));
        Assert.Equal(knn, Run(warm, 10));
        Assert.Equal(knn, Run(warm, 1_000_000));
        Assert.Equal("knn-k8-warmup10", warm.Name);
    }

    [Fact]
    public void Warmup_NegativeStep_IsRejected()
    {
        Init();
        using var scope = NewDisposeScope();
        var warm = new WarmupNoiseAssigner(new VanillaNoise(), 5);
        var e = Assert.Throws<ArgumentException>(() => warm.Assign(zeros(2, 2), null, -1));
        Assert.Equal("step", e.ParamName);
    }
}
