namespace ImmisciblePolicy.Study.Tests;

public sealed class MiscibilitySweepTests
{
    [Fact]
    public void Sweep_VanillaIsUnchanged_KnnShortensPairsMoreWithK_AndLessWithDimension()
    {
        var rows = MiscibilitySweep.Run(batch: 32, repeats: 4, seeds: 2, dimensions: [8, 512]);
        Assert.Equal(2 * StudyMethods.All.Count, rows.Count);
        double Reduction(int d, string method) => rows.Single(r => r.Dimension == d && r.Method == method).Measures.ReductionPercent;
        foreach (var d in new[] { 8, 512 })
        {
            Assert.Equal(0, Reduction(d, "vanilla"), 12);
            Assert.Equal(0, Reduction(d, "data scale 2"), 12);
            Assert.True(Reduction(d, "KNN k=2") < Reduction(d, "KNN k=4") && Reduction(d, "KNN k=4") < Reduction(d, "KNN k=8"),
                $"D={d}: {Reduction(d, "KNN k=2")} / {Reduction(d, "KNN k=4")} / {Reduction(d, "KNN k=8")}");
            Assert.True(Reduction(d, "linear assignment") > 0);
        }
        Assert.True(Reduction(512, "KNN k=8") < Reduction(8, "KNN k=8"));
        var md = MiscibilitySweep.Markdown(rows);
        Assert.Contains("| 512 | 32 | KNN k=8 |", md);
    }
}
