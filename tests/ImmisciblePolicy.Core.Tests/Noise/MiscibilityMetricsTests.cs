using ImmisciblePolicy.Core.Noise;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Noise.NoiseTestData;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Noise;

public class MiscibilityMetricsTests
{
    private static readonly VanillaNoise Vanilla = new();
    private static INoiseAssigner Knn(int k) => new KnnNoiseSelector(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = k });
    private static readonly INoiseAssigner Assignment = new LinearAssignmentNoise(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.LinearAssignment });

    /// <summary>Relative reduction averaged over 8 seeded batches of B = 64 standard-normal samples of size d.</summary>
    private static double Reduction(INoiseAssigner assigner, int d)
    {
        double sum = 0;
        for (int s = 0; s < 8; s++)
        {
            using var scope = NewDisposeScope();
            sum += MiscibilityMetrics.DistanceReduction(assigner, Data((ulong)(1000 + s), 64, d), seed: s).RelativeReduction;
        }
        return sum / 8;
    }

    [Fact]
    public void MeanPairDistance_MatchesHandComputedValue()
    {
        Init();
        using var scope = NewDisposeScope();
        // Pairs differ by (3, 4) and (0, 1): distances 5 and 1, mean 3.
        var x0 = tensor(new float[,] { { 3, 4 }, { 1, 1 } });
        var noise = tensor(new float[,] { { 0, 0 }, { 1, 0 } });
        Assert.Equal(3.0, MiscibilityMetrics.MeanPairDistance(x0, noise), 12);
    }

    [Fact]
    public void DistanceReduction_VanillaIsZero_AssignmentAndKnnArePositive_LargerKReducesMore()
    {
        Init();
        Assert.Equal(0.0, Reduction(Vanilla, 8), 12);
        double assign = Reduction(Assignment, 8), k2 = Reduction(Knn(2), 8), k8 = Reduction(Knn(8), 8);
        Assert.True(assign > 0.02, $"assignment reduction {assign:P2}");
        Assert.True(k2 > 0.01, $"knn k=2 reduction {k2:P2}");
        Assert.True(k8 > k2, $"knn k=8 reduction {k8:P2} should exceed k=2 {k2:P2}");
    }

    [Fact]
    public void DistanceReduction_ShrinksAsDimensionGrows()
    {
        Init();
        foreach (var assigner in new[] { Assignment, Knn(8) })
        {
            double d8 = Reduction(assigner, 8), d64 = Reduction(assigner, 64), d512 = Reduction(assigner, 512);
            Assert.True(d8 > d64 && d64 > d512 && d512 > 0,
                $"{assigner.Name}: reductions D=8 {d8:P2}, D=64 {d64:P2}, D=512 {d512:P2} should fall and stay positive");
        }
    }

    [Fact]
    public void NoiseClusterSeparation_OrdersAssignmentAboveKnnAboveVanilla()
    {
        Init();
        using var scope = NewDisposeScope();
        var samples = Data(7, 8, 16) * 2; // a fixed set of 8 samples
        double Separation(INoiseAssigner a)
        {
            using var g = new Generator(3);
            return MiscibilityMetrics.NoiseClusterSeparation(a, samples, repeats: 200, g);
        }
        double vanilla = Separation(Vanilla), knn = Separation(Knn(2)), assign = Separation(Assignment);
        // Vanilla centres are N(0, I/R): expected pairwise distance about sqrt(2 D / R) = 0.4.
        Assert.InRange(vanilla, 0.3, 0.5);
        Assert.True(assign > knn && knn > vanilla, $"separation assignment {assign:F3}, knn {knn:F3}, vanilla {vanilla:F3}");
    }

    [Fact]
    public void NoiseClusterSeparation_RejectsSingleSampleAndZeroRepeats()
    {
        Init();
        using var scope = NewDisposeScope();
        var one = Assert.Throws<ArgumentException>(() => MiscibilityMetrics.NoiseClusterSeparation(Vanilla, zeros(1, 3), 5, null));
        Assert.Equal("samples", one.ParamName);
        var none = Assert.Throws<ArgumentException>(() => MiscibilityMetrics.NoiseClusterSeparation(Vanilla, zeros(2, 3), 0, null));
        Assert.Equal("repeats", none.ParamName);
    }
}
