using ImmisciblePolicy.Core.Noise;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Noise.NoiseTestData;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Noise;

public class LinearAssignmentNoiseTests
{
    private static LinearAssignmentNoise Assigner(
        NoiseDistance distance = NoiseDistance.L2, CostPrecision precision = CostPrecision.Float32, bool standardize = false) =>
        new(new NoiseAssignmentConfig
        {
            Method = NoiseAssignmentMethod.LinearAssignment,
            Distance = distance,
            CostPrecision = precision,
            StandardizeForCost = standardize,
        });

    [Theory]
    [InlineData(2, NoiseDistance.L2)]
    [InlineData(5, NoiseDistance.L2)]
    [InlineData(7, NoiseDistance.L2)]
    [InlineData(6, NoiseDistance.SquaredL2)]
    [InlineData(7, NoiseDistance.SquaredL2)]
    public void Assignment_EqualsBruteForceOptimalPermutation(int b, NoiseDistance distance)
    {
        Init();
        using var scope = NewDisposeScope();
        var x0 = Data((ulong)(10 + b), b, 3, 2) * 1.5;
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        var candidates = Rows(randn([b, 3, 2], generator: g1));
        var samples = Rows(x0);
        double Cost(int i, int j)
        {
            double l2 = L2(samples[i], candidates[j]);
            return distance == NoiseDistance.L2 ? l2 : l2 * l2;
        }
        int[] best = Permutations(b).MinBy(p => Enumerable.Range(0, b).Sum(i => Cost(i, p[i])))!;
        var noise = Rows(Assigner(distance).Assign(x0, g2));
        for (int i = 0; i < b; i++)
            Assert.Equal(candidates[best[i]], noise[i]);
    }

    [Fact]
    public void Assignment_L2AndSquaredL2_CanDisagree()
    {
        // Guards the Distance switch: across a few seeds the two objectives pick different permutations.
        Init();
        int differing = 0;
        for (ulong seed = 0; seed < 6; seed++)
        {
            using var scope = NewDisposeScope();
            var x0 = Data(seed + 50, 7, 4) * 2;
            using var g1 = new Generator(seed);
            using var g2 = new Generator(seed);
            var l2 = Values(Assigner(NoiseDistance.L2).Assign(x0, g1));
            var sq = Values(Assigner(NoiseDistance.SquaredL2).Assign(x0, g2));
            differing += l2.SequenceEqual(sq) ? 0 : 1;
        }
        Assert.True(differing > 0, "unsquared and squared L2 gave the same assignment on every seed");
    }

    [Fact]
    public void Assignment_BatchOfOne_EqualsVanilla()
    {
        Init();
        using var scope = NewDisposeScope();
        var x0 = Data(8, 1, 3, 5);
        using var g1 = new Generator(31);
        using var g2 = new Generator(31);
        Assert.Equal(Values(new VanillaNoise().Assign(x0, g1)), Values(Assigner().Assign(x0, g2)));
    }

    [Fact]
    public void Assignment_Float16Cost_MatchesFloat32OnWellSeparatedData()
    {
        Init();
        using var scope = NewDisposeScope();
        const int b = 32;
        using var g0 = new Generator(77);
        var candidates = randn([b, 4, 4, 4], generator: g0);
        // Each sample sits next to one candidate (a known shuffle): the optimum is that shuffle, by a wide margin.
        var shuffle = new long[b];
        for (int i = 0; i < b; i++) shuffle[i] = (i * 13 + 5) % b;
        var x0 = candidates.index_select(0, tensor(shuffle)) + 0.01 * Data(9, b, 4, 4, 4);
        using var g1 = new Generator(77);
        using var g2 = new Generator(77);
        var fp32 = Assigner(precision: CostPrecision.Float32).Assign(x0, g1);
        var fp16 = Assigner(precision: CostPrecision.Float16).Assign(x0, g2);
        Assert.Equal(Values(fp32), Values(fp16));
        Assert.Equal(Values(candidates.index_select(0, tensor(shuffle))), Values(fp16));
    }

    [Fact]
    public void Assignment_StandardizedCost_EqualsRawCostOnStandardizedData_AndDiffersFromRaw()
    {
        Init();
        int differing = 0;
        for (ulong seed = 0; seed < 5; seed++)
        {
            using var scope = NewDisposeScope();
            // Coordinates on wildly different scales: raw distances only see the first one.
            var x0 = Data(seed + 20, 7, 3) * tensor(new[] { 1000f, 1f, 0.001f });
            var mean = x0.mean([0], keepdim: true);
            var std = x0.std(0, unbiased: false, keepdim: true);
            var standardized = (x0 - mean) / std;
            using var g1 = new Generator(seed);
            using var g2 = new Generator(seed);
            using var g3 = new Generator(seed);
            var withOption = Values(Assigner(standardize: true).Assign(x0, g1));
            var oracle = Values(Assigner().Assign(standardized, g2));
            var raw = Values(Assigner().Assign(x0, g3));
            Assert.Equal(oracle, withOption);
            differing += raw.SequenceEqual(withOption) ? 0 : 1;
        }
        Assert.True(differing > 0, "standardising badly scaled coordinates never changed the assignment");
    }

    [Fact]
    public void Assignment_NaNInData_IsRejected()
    {
        Init();
        using var scope = NewDisposeScope();
        var x0 = Data(1, 4, 2);
        x0[0, 0] = tensor(float.PositiveInfinity);
        var e = Assert.Throws<ArgumentException>(() => Assigner().Assign(x0, null));
        Assert.Equal("x0", e.ParamName);
        Assert.Contains("1 infinite", e.Message, StringComparison.Ordinal);
    }
}
