using ImmisciblePolicy.Policy.Data;

namespace ImmisciblePolicy.Policy.Tests.Data;

public sealed class FeatureStatisticsTests
{
    [Fact]
    public void Compute_OnOneToFive_GivesNumpyLinearQuantilesAndPopulationStd()
    {
        // Column 0 = 1..5 (unsorted), column 1 = 10 x column 0.
        double[] values = [3, 30, 1, 10, 5, 50, 2, 20, 4, 40];

        FeatureStatistics stats = FeatureStatistics.Compute(values, dim: 2);

        Assert.Equal([1.0, 10.0], stats.Min);
        Assert.Equal([5.0, 50.0], stats.Max);
        Assert.Equal([3.0, 30.0], stats.Mean);
        Assert.Equal(Math.Sqrt(2), stats.Std[0], 12);   // np.std, ddof 0: sqrt(10 / 5)
        Assert.Equal(5, stats.Count);
        // np.quantile(1..5, q) = 1 + 4q for linear interpolation.
        double[] expected = [1.04, 1.4, 3.0, 4.6, 4.96];
        for (int q = 0; q < expected.Length; q++)
        {
            Assert.Equal(expected[q], stats.Quantiles[q][0], 12);
            Assert.Equal(10 * expected[q], stats.Quantiles[q][1], 12);
        }
    }
}
