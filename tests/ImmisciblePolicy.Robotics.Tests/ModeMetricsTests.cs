using System.Text.Json;

namespace ImmisciblePolicy.Robotics.Tests;

public sealed class ModeMetricsTests
{
    private static EpisodeResult Ep(string? mode, bool success = true) => new(0, 1, 1, success, 10, mode);

    private static EvaluationResult Result(SimTaskKind task, params string?[] modes) =>
        new(task, [.. modes.Select(m => Ep(m))], 0, 0);

    [Fact]
    public void ModeFrequencies_AndTotalVariationToUniform_FollowTheirDefinitions()
    {
        var left3right1 = Result(SimTaskKind.Bimodal, "left", "left", "left", "right");
        // Histogram (0.75, 0.25) vs uniform (0.5, 0.5): TV = 0.5 * (0.25 + 0.25) = 0.25.
        Assert.Equal(0.25, left3right1.ModeTotalVariation, 12);
        Assert.Equal(0.75, left3right1.ModeFrequencies["left"], 12);
        Assert.Equal(0.0, left3right1.ModeFrequencies["none"], 12);
        Assert.Equal(0.0, Result(SimTaskKind.Bimodal, "left", "right").ModeTotalVariation, 12);
        Assert.True(double.IsNaN(Result(SimTaskKind.Bimodal, "none", "none").ModeTotalVariation));
    }

    [Fact]
    public void UnclassifiedRollouts_CountInTheSharesButNotInTheDistances()
    {
        var r = Result(SimTaskKind.PushT, "clockwise", "clockwise", "counterclockwise", "none");
        Assert.Equal(["clockwise", "counterclockwise", "none"], r.ModeTable.Select(f => f.Mode));
        Assert.Equal([2, 1, 1], r.ModeTable.Select(f => f.Count));
        Assert.Equal(0.25, r.ModeFrequencies["none"], 12);
        Assert.Equal(3, r.ClassifiedEpisodes);
        // Among the 3 classified: (2/3, 1/3) against uniform.
        Assert.Equal(1.0 / 6, r.ModeTotalVariation, 12);
    }

    [Fact]
    public void TotalVariationToDemonstrations_ComparesWithTheDemonstratedMix()
    {
        var mix = new[] { new ModeShare("clockwise", 0.7), new ModeShare("counterclockwise", 0.3) };
        var r = Result(SimTaskKind.PushT, "clockwise", "clockwise", "clockwise", "clockwise") with { DemonstrationModes = mix };
        // All clockwise vs (0.7, 0.3): TV = 0.5 * (0.3 + 0.3) = 0.3; vs uniform 0.5.
        Assert.Equal(0.3, r.ModeTotalVariationToDemonstrations, 12);
        Assert.Equal(0.5, r.ModeTotalVariation, 12);
        Assert.True(double.IsNaN(Result(SimTaskKind.PushT, "clockwise").ModeTotalVariationToDemonstrations));

        // Interval: Wilson of 4/4 for the clockwise share is [0.5101, 1]; |p - 0.7| over it is [0, 0.3].
        var ci = r.ModeTotalVariationToDemonstrationsInterval!.Value;
        Assert.Equal(0.0, ci.Low, 12);
        Assert.Equal(0.3, ci.High, 12);
        // Against uniform the whole Wilson interval lies above 0.5: [0.0101, 0.5].
        var uniform = r.ModeTotalVariationInterval!.Value;
        Assert.Equal(ProportionInterval.Wilson(4, 4).Low - 0.5, uniform.Low, 12);
        Assert.Equal(0.5, uniform.High, 12);
    }

    /// <summary>Golden values: Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (Wilson score).</summary>
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Wilson_MatchesPublishedIntervals(int k, int n, double low, double high)
    {
        var ci = ProportionInterval.Wilson(k, n);
        Assert.Equal(low, ci.Low, 4);
        Assert.Equal(high, ci.High, 4);
    }

    [Theory]
    [InlineData(0, 6)]
    [InlineData(7, 7)]
    [InlineData(0, 1)]
    public void Wilson_AtTheEnds_IsExactlyZeroOrOne(int k, int n)
    {
        var ci = ProportionInterval.Wilson(k, n);
        if (k == 0) Assert.Equal(0.0, ci.Low);
        if (k == n) Assert.Equal(1.0, ci.High);
        Assert.True(ci.Low < ci.High);
    }

    [Fact]
    public void Wilson_RejectsImpossibleCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProportionInterval.Wilson(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProportionInterval.Wilson(0, 0));
    }

    [Fact]
    public void EvalJson_CarriesModeSharesWithIntervalsAndBothDistances()
    {
        var mix = new[] { new ModeShare("clockwise", 0.5), new ModeShare("counterclockwise", 0.5) };
        var r = Result(SimTaskKind.PushT, "clockwise", "counterclockwise", "clockwise", "none") with { DemonstrationModes = mix };

        using var doc = JsonDocument.Parse(EvaluationReport.Json(r, "tiny"));
        var modes = doc.RootElement.GetProperty("modes");
        var cw = modes.GetProperty("shares").GetProperty("clockwise");
        Assert.Equal(2, cw.GetProperty("count").GetInt32());
        Assert.Equal(0.5, cw.GetProperty("share").GetDouble(), 12);
        Assert.Equal(ProportionInterval.Wilson(2, 4).Low, cw.GetProperty("ci95").GetProperty("low").GetDouble(), 12);
        Assert.Equal(1, modes.GetProperty("shares").GetProperty("none").GetProperty("count").GetInt32());
        Assert.Equal(1.0 / 6, modes.GetProperty("totalVariationToDemonstrations").GetDouble(), 12);
        Assert.Equal(1.0 / 6, modes.GetProperty("totalVariationToUniform").GetDouble(), 12);
        Assert.Equal(0.5, modes.GetProperty("demonstrationMix").GetProperty("clockwise").GetDouble(), 12);
        Assert.Equal("Keypoints", doc.RootElement.GetProperty("observation").GetString());
        Assert.Contains("| none | 1 | 25.0 % |", EvaluationReport.Markdown(r, "tiny"), StringComparison.Ordinal);
    }
}
