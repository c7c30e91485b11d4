namespace ImmisciblePolicy.Study.Tests;

public sealed class StudyStatisticsTests
{
    [Theory]
    [InlineData(1, 12.706)]
    [InlineData(2, 4.303)]
    [InlineData(9, 2.262)]
    [InlineData(30, 2.042)]
    [InlineData(1000, 1.960)]
    public void TQuantile975_MatchesTheTable(int df, double expected) => Assert.Equal(expected, StudyStatistics.TQuantile975(df));

    [Fact]
    public void Interval_OfThreeSeeds_IsMeanPlusMinusTTimesStandardError()
    {
        var e = StudyStatistics.Interval([1.0, 2.0, 3.0]);
        Assert.Equal(2.0, e.Mean, 12);
        Assert.Equal(4.303 * 1.0 / Math.Sqrt(3), e.HalfWidth, 12); // sample sd = 1
        Assert.Equal(3, e.Count);
        Assert.False(e.ExcludesZero); // 2 ± 2.48 spans zero
        Assert.True(StudyStatistics.Interval([1.9, 2.0, 2.1]).ExcludesZero);
    }

    [Fact]
    public void Interval_IgnoresNonFiniteValues_AndHasNoWidthForOneValue()
    {
        var e = StudyStatistics.Interval([double.NaN, 5.0]);
        Assert.Equal(5.0, e.Mean);
        Assert.True(double.IsNaN(e.HalfWidth));
        Assert.Equal("5.00 (n=1)", e.Format("F2"));
        Assert.Equal("–", StudyStatistics.Interval([]).Format("F2"));
        Assert.Equal("2.000 ± 2.484 (n=3)", StudyStatistics.Interval([1.0, 2.0, 3.0]).Format("F3"));
    }

    [Fact]
    public void FirstStepReaching_RespectsTheMetricDirection()
    {
        var rising = new List<(long, double)> { (100, 0.1), (200, 0.5), (300, 0.7) };
        Assert.Equal(200L, StudyStatistics.FirstStepReaching(rising, 0.5, higherIsBetter: true));
        Assert.Null(StudyStatistics.FirstStepReaching(rising, 0.8, higherIsBetter: true));
        var falling = new List<(long, double)> { (100, 90.0), (200, double.NaN), (300, 40.0) };
        Assert.Equal(300L, StudyStatistics.FirstStepReaching(falling, 50, higherIsBetter: false));
        Assert.Equal(100L, StudyStatistics.FirstStepReaching(falling, 95, higherIsBetter: false));
    }
}
