using ImmisciblePolicy.Core.Noise;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Noise.NoiseTestData;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Noise;

public class ObservationAwareAssignmentNoiseTests
{
    private static NoiseAssignmentConfig Config(double weight, NoiseDistance distance = NoiseDistance.L2) => new()
    {
        Method = NoiseAssignmentMethod.ObservationAwareAssignment,
        ConditionWeight = weight,
        Distance = distance,
    };

    private static ObservationAwareAssignmentNoise Assigner(double weight, NoiseDistance distance = NoiseDistance.L2) =>
        new(Config(weight, distance));

    [Fact]
    public void BatchOfOne_ReturnsTheVanillaDraw()
    {
        Init();
        using var scope = NewDisposeScope();
        var x0 = Data(1, 1, 4, 2);
        using var g1 = new Generator(9);
        using var g2 = new Generator(9);
        var expected = Values(new VanillaNoise().Assign(x0, g1));
        Assert.Equal(expected, Values(Assigner(3).Assign(x0, Data(2, 1, 5), g2)));
    }

    [Theory]
    [InlineData(NoiseDistance.L2)]
    [InlineData(NoiseDistance.SquaredL2)]
    public void ZeroWeight_EqualsPlainLinearAssignment(NoiseDistance distance)
    {
        Init();
        using var scope = NewDisposeScope();
        var x0 = Data(3, 16, 8, 2) * 2;
        var condition = Data(4, 16, 10);
        using var g1 = new Generator(11);
        using var g2 = new Generator(11);
        var plain = new LinearAssignmentNoise(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.LinearAssignment, Distance = distance });
        Assert.Equal(Values(plain.Assign(x0, g1)), Values(Assigner(0, distance).Assign(x0, condition, g2)));
    }

    [Fact]
    public void IdenticalConditions_EqualPlainLinearAssignment_AtAnyWeight()
    {
        // Every coordinate of the condition has zero spread: standardisation only centres it, so d_c = 0.
        Init();
        using var scope = NewDisposeScope();
        var x0 = Data(5, 12, 6) * 2;
        var condition = ones(12, 3) * 0.7;
        using var g1 = new Generator(13);
        using var g2 = new Generator(13);
        var plain = new LinearAssignmentNoise(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.LinearAssignment });
        Assert.Equal(Values(plain.Assign(x0, g1)), Values(Assigner(100).Assign(x0, condition, g2)));
    }

    [Fact]
    public void LargeWeight_WithDistinctConditions_KeepsTheVanillaPairing()
    {
        Init();
        using var scope = NewDisposeScope();
        var x0 = Data(6, 10, 8) * 3;
        var condition = Data(7, 10, 4);
        using var g1 = new Generator(17);
        using var g2 = new Generator(17);
        Assert.Equal(Values(new VanillaNoise().Assign(x0, g1)), Values(Assigner(1e6).Assign(x0, condition, g2)));
    }

    [Fact]
    public void ConditionCost_MatchesAHandComputation()
    {
        // Three samples with 2-d conditions (0, 0), (2, 0), (4, 3).
        // Per coordinate: mean (2, 1), population std (sqrt(8/3), sqrt(2)).
        // z = ((-2, -1) / s, (0, -1) / s, (2, 2) / s) with s = (sqrt(8/3), sqrt(2)), coordinate-wise.
        Init();
        using var scope = NewDisposeScope();
        var condition = tensor(new float[] { 0, 0, 2, 0, 4, 3 }).reshape(3, 2);
        double sx = Math.Sqrt(8.0 / 3), sy = Math.Sqrt(2);
        double[][] z = [[-2 / sx, -1 / sy], [0, -1 / sy], [2 / sx, 2 / sy]];
        double Rms(int i, int j) => Math.Sqrt((Math.Pow(z[i][0] - z[j][0], 2) + Math.Pow(z[i][1] - z[j][1], 2)) / 2);
        var cost = Rows(Assigner(1).ConditionCost(condition));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(Rms(i, j), cost[i][j], 5);
        // (0,0) vs (2,0): z differs by 2/sx in x only -> sqrt((4 / (8/3)) / 2) = sqrt(0.75).
        Assert.Equal(Math.Sqrt(0.75), cost[0][1], 5);
        Assert.Equal(0.0, cost[2][2]);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(4.0)]
    public void Assignment_EqualsBruteForceOptimum_OfTheDocumentedCost(double weight)
    {
        Init();
        const int b = 6;
        using var scope = NewDisposeScope();
        var x0 = Data(20, b, 3, 2) * 1.5;
        var condition = Data(21, b, 3);
        using var g1 = new Generator(23);
        using var g2 = new Generator(23);
        var candidates = Rows(randn([b, 3, 2], generator: g1));
        var samples = Rows(x0);
        var conditionCost = Rows(Assigner(weight).ConditionCost(condition));
        double Cost(int i, int j) => L2(samples[i], candidates[j]) + weight * conditionCost[i][j];
        int[] best = Permutations(b).MinBy(p => Enumerable.Range(0, b).Sum(i => Cost(i, p[i])))!;
        var noise = Rows(Assigner(weight).Assign(x0, condition, g2));
        for (int i = 0; i < b; i++)
            Assert.Equal(candidates[best[i]], noise[i]);
    }

    [Fact]
    public void Weight_TradesPairDistanceForConditionFidelity()
    {
        // The pairing interpolates: more weight, fewer noises moved between different observations, longer pairs.
        Init();
        double MovedShare(double weight, out double pair)
        {
            using var scope = NewDisposeScope();
            var x0 = Data(30, 64, 16, 2);
            var condition = Data(31, 64, 20);
            using var g1 = new Generator(37);
            using var g2 = new Generator(37);
            var vanilla = Rows(new VanillaNoise().Assign(x0, g1));
            var noise = Rows(Assigner(weight).Assign(x0, condition, g2));
            var samples = Rows(x0);
            pair = Enumerable.Range(0, 64).Average(i => L2(samples[i], noise[i]));
            return Enumerable.Range(0, 64).Count(i => !vanilla[i].SequenceEqual(noise[i])) / 64.0;
        }
        double m0 = MovedShare(0, out double p0), m1 = MovedShare(1, out double p1), m10 = MovedShare(10, out double p10);
        Assert.True(m0 > m1 && m1 >= m10, $"moved shares should fall with the weight: {m0}, {m1}, {m10}");
        Assert.True(p0 < p1 && p1 <= p10, $"mean pair distances should grow with the weight: {p0}, {p1}, {p10}");
        Assert.True(m0 > 0.9, $"plain assignment moves almost every noise at B = 64; moved {m0}");
    }

    [Fact]
    public void UnconditionalCall_SaysAConditionIsNeeded()
    {
        Init();
        using var scope = NewDisposeScope();
        var e = Assert.Throws<InvalidOperationException>(() => Assigner(1).Assign(Data(1, 4, 2), generator: null));
        Assert.Contains("condition", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConditionWithAnotherBatchSize_IsRejectedNamingBoth()
    {
        Init();
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Assigner(1).Assign(Data(1, 4, 2), Data(2, 5, 3), null));
        Assert.Contains("B = 4", e.Message, StringComparison.Ordinal);
        Assert.Contains("(5, 3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NegativeWeight_IsRejectedByTheConfig()
    {
        var e = Assert.Throws<ArgumentException>(() => Config(-1).Validate());
        Assert.Contains("ConditionWeight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Factory_AndWarmup_PassTheConditionThrough()
    {
        Init();
        using var scope = NewDisposeScope();
        var config = Config(1) with { WarmupSteps = 5 };
        var assigner = NoiseAssigners.Create(config);
        Assert.IsAssignableFrom<IConditionalNoiseAssigner>(assigner);
        var x0 = Data(40, 8, 4);
        var condition = Data(41, 8, 3);
        using var g1 = new Generator(43);
        using var g2 = new Generator(43);
        using var g3 = new Generator(43);
        using var g4 = new Generator(43);
        // Before the switch-on step: vanilla; from it on: the observation-aware pairing.
        Assert.Equal(Values(new VanillaNoise().Assign(x0, g1)), Values(NoiseAssignment.Assign(assigner, x0, condition, g2, step: 4)));
        Assert.Equal(Values(Assigner(1).Assign(x0, condition, g3)), Values(NoiseAssignment.Assign(assigner, x0, condition, g4, step: 5)));
    }

    [Fact]
    public void NoiseAssignment_LeavesUnconditionalAssignersUnchanged()
    {
        Init();
        using var scope = NewDisposeScope();
        var knn = new KnnNoiseSelector(new NoiseAssignmentConfig { Method = NoiseAssignmentMethod.Knn, K = 4 });
        var x0 = Data(50, 8, 4);
        using var g1 = new Generator(53);
        using var g2 = new Generator(53);
        Assert.Equal(Values(knn.Assign(x0, g1)), Values(NoiseAssignment.Assign(knn, x0, Data(51, 8, 3), g2)));
    }
}
