using ImmisciblePolicy.Server.Inference;

namespace ImmisciblePolicy.Server.Tests.Inference;

public sealed class PlanStatisticsTests
{
    [Fact]
    public void Percentile_IsNearestRank()
    {
        // Nearest rank: the ceil(q n)-th smallest value.
        double[] v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(5, PlanStatistics.Percentile(v, 0.5));
        Assert.Equal(10, PlanStatistics.Percentile(v, 0.99));
        Assert.Equal(1, PlanStatistics.Percentile(v, 0.01));
        Assert.Equal(0, PlanStatistics.Percentile([], 0.5));
    }

    [Fact]
    public void TakeWindow_ReportsAndResets()
    {
        var s = new PlanStatistics();
        foreach (var ms in new[] { 4.0, 1, 3, 2 }) s.RecordPlan(ms);
        s.RecordBatch();
        s.RecordRejected();
        var w = s.TakeWindow();
        Assert.Equal(new PlanStatisticsWindow(4, 1, 1, 2, 4), w);
        Assert.Equal(new PlanStatisticsWindow(0, 0, 0, 0, 0), s.TakeWindow());
    }
}
