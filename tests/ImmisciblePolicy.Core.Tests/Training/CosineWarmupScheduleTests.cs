using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Core.Training;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Training;

public class CosineWarmupScheduleTests
{
    // 500 warm-up steps (published) and 10,000 decay steps.
    private static readonly CosineWarmupSchedule Schedule = new(1e-4, warmupSteps: 500, totalSteps: 10_500);

    [Theory]
    [InlineData(0L, 0.0)]                       // LambdaLR starts at 0
    [InlineData(250L, 0.5)]                     // half-way through the linear warm-up
    [InlineData(500L, 1.0)]                     // warm-up end: peak
    [InlineData(3_000L, 0.85355339059327373)]   // a quarter into the decay: 0.5 (1 + cos(pi / 4))
    [InlineData(5_500L, 0.5)]                   // half-way through the decay
    [InlineData(10_500L, 0.0)]                  // end
    public void Multiplier_MatchesDiffusersCosineWithWarmup(long step, double expected)
    {
        Assert.Equal(expected, CosineWarmupSchedule.Multiplier(step, 500, 10_500), 12);
        Assert.Equal(1e-4 * expected, Schedule.LearningRate(step), 15);
    }

    [Fact]
    public void Multiplier_IsMonotoneUpThenDown()
    {
        var values = Enumerable.Range(0, 10_501).Select(s => CosineWarmupSchedule.Multiplier(s, 500, 10_500)).ToArray();
        for (int s = 1; s <= 500; s++) Assert.True(values[s] > values[s - 1], $"not rising at {s}");
        for (int s = 501; s <= 10_500; s++) Assert.True(values[s] <= values[s - 1], $"not falling at {s}");
    }

    [Fact]
    public void Multiplier_WithoutWarmup_StartsAtPeak() =>
        Assert.Equal(1.0, CosineWarmupSchedule.Multiplier(0, 0, 100));

    [Fact]
    public void Apply_SetsEveryParamGroupOfAnAdamW()
    {
        TorchRuntime.Configure(1);
        using var layer = nn.Linear(2, 2);
        using var optimizer = optim.AdamW(layer.parameters(), lr: 1.0);
        double lr = Schedule.Apply(optimizer, 250);
        Assert.Equal(5e-5, lr, 15);
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(5e-5, g.LearningRate, 15));
    }

    [Fact]
    public void Constructor_WithZeroTotalSteps_NamesTheArgument()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CosineWarmupSchedule(1e-4, 0, 0));
        Assert.Equal("totalSteps", e.ParamName);
    }
}
