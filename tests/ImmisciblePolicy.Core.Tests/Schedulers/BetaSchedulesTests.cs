using ImmisciblePolicy.Core.Schedulers;
using static ImmisciblePolicy.Core.Tests.Schedulers.ReferenceFormulas;

namespace ImmisciblePolicy.Core.Tests.Schedulers;

public class BetaSchedulesTests
{
    private static double[] AlphasCumprod(BetaSchedule schedule, int t) =>
        BetaSchedules.AlphasCumprod(BetaSchedules.Betas(new DiffusionScheduleConfig { BetaSchedule = schedule, NumTrainTimesteps = t }));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(99)]
    [InlineData(999)]
    public void Linear_AlphasCumprod_MatchesProductOfLinearBetas(int timestep)
    {
        var abar = AlphasCumprod(BetaSchedule.Linear, 1000);
        double expected = AlphaBar(i => LinearBeta(i, 1000), timestep);
        Assert.True(Math.Abs(expected - abar[timestep]) < 1e-6, $"t={timestep}: expected {expected:R}, got {abar[timestep]:R}");
    }

    [Fact]
    public void Linear_FirstTwoAlphasCumprod_MatchHandValues()
    {
        // beta_0 = 1e-4, beta_1 = 1e-4 + 0.0199 / 999: abar_0 = 0.9999, abar_1 = 0.9999 * (1 - 1.199199e-4).
        var abar = AlphasCumprod(BetaSchedule.Linear, 1000);
        Assert.Equal(0.9999, abar[0], 1e-7);
        Assert.Equal(0.9999 * (1 - (1e-4 + 0.0199 / 999)), abar[1], 1e-7);
        Assert.Equal(0.9997801, abar[1], 1e-7);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(99)]
    [InlineData(999)]
    public void ScaledLinear_AlphasCumprod_MatchesProductOfSquaredLinspace(int timestep)
    {
        var abar = AlphasCumprod(BetaSchedule.ScaledLinear, 1000);
        double expected = AlphaBar(i => ScaledLinearBeta(i, 1000), timestep);
        Assert.True(Math.Abs(expected - abar[timestep]) < 1e-6, $"t={timestep}: expected {expected:R}, got {abar[timestep]:R}");
    }

    [Theory]
    [InlineData(100, 0)]
    [InlineData(100, 1)]
    [InlineData(100, 50)]
    [InlineData(100, 99)]
    [InlineData(1000, 0)]
    [InlineData(1000, 1)]
    [InlineData(1000, 50)]
    [InlineData(1000, 99)]
    [InlineData(1000, 999)]
    public void SquaredCosCapV2_AlphasCumprod_MatchesTelescopedCosine(int t, int timestep)
    {
        var abar = AlphasCumprod(BetaSchedule.SquaredCosCapV2, t);
        double expected = CosineAlphaBar(timestep, t);
        Assert.True(Math.Abs(expected - abar[timestep]) < 1e-6, $"T={t} t={timestep}: expected {expected:R}, got {abar[timestep]:R}");
    }

    [Fact]
    public void SquaredCosCapV2_T100_MidpointIsNearHalf()
    {
        // Hand value: abar_49 = f(0.5) / f(0) = cos^2(0.508 / 1.008 * pi/2) / cos^2(0.008 / 1.008 * pi/2) = 0.493844...
        var abar = AlphasCumprod(BetaSchedule.SquaredCosCapV2, 100);
        Assert.Equal(0.493844, abar[49], 1e-6);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1000)]
    public void SquaredCosCapV2_OnlyTheLastBetaIsCapped(int t)
    {
        var betas = BetaSchedules.CosineBetas(t);
        Assert.Equal((double)(float)0.999, betas[t - 1]);
        for (int i = 0; i < t - 1; i++) Assert.True(betas[i] < 0.999, $"beta[{i}] = {betas[i]} reached the cap");
    }

    [Theory]
    [InlineData(BetaSchedule.Linear)]
    [InlineData(BetaSchedule.ScaledLinear)]
    [InlineData(BetaSchedule.SquaredCosCapV2)]
    public void Schedules_HoldFloat32Values_LikeDiffusersTensors(BetaSchedule schedule)
    {
        var betas = BetaSchedules.Betas(new DiffusionScheduleConfig { BetaSchedule = schedule });
        var abar = BetaSchedules.AlphasCumprod(betas);
        Assert.All(betas, b => Assert.Equal(b, (double)(float)b));
        Assert.All(abar, a => Assert.Equal(a, (double)(float)a));
        for (int i = 1; i < abar.Length; i++) Assert.True(abar[i] < abar[i - 1], $"abar not decreasing at {i}");
    }

    [Fact]
    public void LinearBetas_EndPointsAreExact()
    {
        var betas = BetaSchedules.Betas(new DiffusionScheduleConfig());
        Assert.Equal((double)(float)1e-4, betas[0]);
        Assert.Equal((double)(float)0.02, betas[^1]);
    }

    [Fact]
    public void AlphasCumprod_RejectsBetaOfOne()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BetaSchedules.AlphasCumprod(new[] { 0.1, 1.0 }));
        Assert.Equal("betas", e.ParamName);
        Assert.Contains("betas[1]", e.Message, StringComparison.Ordinal);
    }
}
