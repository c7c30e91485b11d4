using ImmisciblePolicy.Sim.Bimodal;

namespace ImmisciblePolicy.Robotics.Tests;

public sealed class BimodalMixTests
{
    [Theory]
    [InlineData(0.8, 100, 80)]
    [InlineData(0.9, 100, 90)]
    [InlineData(0.8, 20, 16)]
    [InlineData(0.25, 12, 3)]
    [InlineData(0.0, 10, 0)]
    [InlineData(1.0, 10, 10)]
    public void SideFor_GivesExactProportionsInEveryPrefix(double mix, int episodes, int left)
    {
        var sides = Enumerable.Range(0, episodes).Select(i => DemonstrationGenerator.BimodalSideFor(i, mix)).ToList();
        Assert.Equal(left, sides.Count(s => s == ReachMode.Left));
        // Interleaved: every prefix of n episodes holds floor(n * mix) left ones (never a block of one side first).
        for (int n = 1; n <= episodes; n++)
            Assert.Equal((int)Math.Floor(n * mix), sides.Take(n).Count(s => s == ReachMode.Left));
    }

    [Fact]
    public void SideFor_HalfAndHalf_KeepsTheAlternationOfEarlierDatasets()
    {
        for (int i = 0; i < 10; i++)
            Assert.Equal(BimodalReachExpert.SideForEpisode(i), DemonstrationGenerator.BimodalSideFor(i, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => DemonstrationGenerator.BimodalSideFor(0, 1.5));
    }

    [Fact]
    public void Generate_BimodalWithAMix_LabelsTheRequestedShares()
    {
        var report = DemonstrationGenerator.Generate(SimTaskKind.Bimodal, 20, options: new DemonstrationOptions { ModeMix = 0.8 });
        var shares = report.Dataset.ModeShares.ToDictionary(m => m.Mode, m => m.Share);
        Assert.Equal(0.8, shares["left"], 12);
        Assert.Equal(0.2, shares["right"], 12);
        Assert.Equal(1.0, report.SuccessRate);
    }
}
