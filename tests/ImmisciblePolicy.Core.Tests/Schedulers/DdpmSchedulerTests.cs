using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Schedulers.ReferenceFormulas;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Schedulers;

public class DdpmSchedulerTests
{
    private static readonly double[] Xt = { 0.3, -0.7, 1.2, 0.05, 0.9, -1.1 };
    private static readonly double[] ModelOut = { 0.5, -0.2, 0.1, -1.3, 0.4, 0.8 };
    private static readonly long[] Shape = { 2, 3 };

    public DdpmSchedulerTests() => TorchRuntime.Configure(1);

    /// <summary>x0_hat from the model output (DDPM eq. 15 for eps; v-parameterisation of Salimans and Ho 2022).</summary>
    private static double PredictX0(PredictionType type, double abar, double x, double m) => type switch
    {
        PredictionType.Epsilon => (x - Math.Sqrt(1 - abar) * m) / Math.Sqrt(abar),
        PredictionType.Sample => m,
        PredictionType.VPrediction => Math.Sqrt(abar) * x - Math.Sqrt(1 - abar) * m,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>DDPM eq. 7: posterior mean and fixed_small variance between abar_t and abar_prev.</summary>
    private static double[] ExpectedStep(PredictionType type, double abarT, double abarPrev, double[]? z, bool fixedLarge = false, double clip = double.PositiveInfinity)
    {
        double beta = 1 - abarT / abarPrev;
        double variance = fixedLarge ? beta : (1 - abarPrev) / (1 - abarT) * beta;
        var expected = new double[Xt.Length];
        for (int i = 0; i < Xt.Length; i++)
        {
            double x0 = Math.Clamp(PredictX0(type, abarT, Xt[i], ModelOut[i]), -clip, clip);
            double mean = Math.Sqrt(abarPrev) * beta / (1 - abarT) * x0 + Math.Sqrt(1 - beta) * (1 - abarPrev) / (1 - abarT) * Xt[i];
            expected[i] = mean + (z is null ? 0 : Math.Sqrt(variance) * z[i]);
        }
        return expected;
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.Sample)]
    [InlineData(PredictionType.VPrediction)]
    public void Step_FullChain_MatchesPosteriorMeanPlusSeededNoise(PredictionType type)
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy with { PredictionType = type, ClipSample = false });
        using var g = new Generator(1234);
        var result = Read(scheduler.Step(Tensor2x3(ModelOut), 50, Tensor2x3(Xt), 100, g));
        var expected = ExpectedStep(type, CosineAlphaBar(50, 100), CosineAlphaBar(49, 100), StandardNormal(1234, Shape));
        AssertClose(expected, result, 1e-5, "x_49");
    }

    [Fact]
    public void Step_FixedLarge_UsesBetaAsVariance()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy with { VarianceType = VarianceType.FixedLarge, ClipSample = false });
        using var g = new Generator(99);
        var result = Read(scheduler.Step(Tensor2x3(ModelOut), 30, Tensor2x3(Xt), 100, g));
        var expected = ExpectedStep(PredictionType.Epsilon, CosineAlphaBar(30, 100), CosineAlphaBar(29, 100), StandardNormal(99, Shape), fixedLarge: true);
        AssertClose(expected, result, 1e-5, "x_29");
    }

    [Fact]
    public void Step_WithClipSample_ClampsPredictedX0()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy with { ClipSampleRange = 0.5 });
        // At t = 5 abar is close to 1, so x0_hat ~ x_t and several entries lie outside [-0.5, 0.5].
        using var g = new Generator(5);
        var result = Read(scheduler.Step(Tensor2x3(ModelOut), 5, Tensor2x3(Xt), 100, g));
        var expected = ExpectedStep(PredictionType.Epsilon, CosineAlphaBar(5, 100), CosineAlphaBar(4, 100), StandardNormal(5, Shape), clip: 0.5);
        AssertClose(expected, result, 1e-5, "x_4");
        var unclipped = ExpectedStep(PredictionType.Epsilon, CosineAlphaBar(5, 100), CosineAlphaBar(4, 100), StandardNormal(5, Shape));
        Assert.True(Math.Abs(unclipped[2] - result[2]) > 1e-3, "the clip range had no effect; the test data no longer exercise it");
    }

    [Fact]
    public void Step_CustomSteps_JumpsToTMinusTOverN()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdpmScheduler(new DiffusionScheduleConfig { PredictionType = PredictionType.Sample, ClipSample = false });
        Assert.Equal(new long[] { 900, 800, 700, 600, 500, 400, 300, 200, 100, 0 }, scheduler.InferenceTimesteps(10));
        Assert.Equal(400, scheduler.PreviousTimestep(500, 10));
        Assert.Equal(-100, scheduler.PreviousTimestep(0, 10));
        using var g = new Generator(7);
        var result = Read(scheduler.Step(Tensor2x3(ModelOut), 500, Tensor2x3(Xt), 10, g));
        Func<int, double> beta = i => LinearBeta(i, 1000);
        var expected = ExpectedStep(PredictionType.Sample, AlphaBar(beta, 500), AlphaBar(beta, 400), StandardNormal(7, Shape));
        AssertClose(expected, result, 1e-5, "x_400");
    }

    [Fact]
    public void Step_AtTimestepZero_AddsNoNoiseAndReturnsX0Hat()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy with { PredictionType = PredictionType.Sample });
        using var g = new Generator(3);
        var x0 = new[] { 0.1, -0.2, 0.3, -0.4, 0.5, -0.6 };
        var result = Read(scheduler.Step(Tensor2x3(x0), 0, Tensor2x3(Xt), 100, g));
        AssertClose(x0, result, 1e-6, "x_-1");
        // The generator was not advanced: its next draw is the first draw of a fresh seed-3 generator.
        AssertClose(StandardNormal(3, Shape), Read(randn(Shape, generator: g)), 0, "next draw");
    }

    [Theory]
    [InlineData(100)]
    [InlineData(10)]
    public void FullLoop_WithOracleDenoiser_ReturnsX0(int steps)
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        var x0 = Tensor2x3(new[] { 0.5, -0.25, 0.8, -0.9, 0.1, 0.0 });
        using var g = new Generator(2024);
        var x = randn(Shape, generator: g);
        foreach (long t in scheduler.InferenceTimesteps(steps))
        {
            // The oracle knows x0 and returns the eps that makes x_t = sqrt(abar) x0 + sqrt(1 - abar) eps hold.
            double abar = scheduler.Schedule.AlphasCumprod[(int)t];
            var eps = x.sub(x0.mul(Math.Sqrt(abar))).div(Math.Sqrt(1 - abar));
            x = scheduler.Step(eps, t, x, steps, g);
        }
        AssertClose(Read(x0), Read(x), 1e-4, "x0");
    }

    [Fact]
    public void Step_InvalidArguments_NameArgumentExpectedAndReceived()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        var x = Tensor2x3(Xt);
        var t = Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(x, 100, x, 100, null));
        Assert.Equal("timestep", t.ParamName);
        Assert.Contains("[0, 99]", t.Message, StringComparison.Ordinal);
        Assert.Contains("received 100", t.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(x, -1, x, 100, null));
        var n = Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(x, 10, x, 0, null));
        Assert.Equal("numInferenceSteps", n.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(x, 10, x, 101, null));
        var shape = Assert.Throws<ArgumentException>(() => scheduler.Step(zeros(2, 4), 10, x, 100, null));
        Assert.Equal("modelOutput", shape.ParamName);
        Assert.Contains("[2, 3]", shape.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 4]", shape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_InsideCallerScope_LeavesOnlyItsResult()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        var x = Tensor2x3(Xt);
        using var g = new Generator(1);
        long before = scope.DisposablesCount;
        for (int i = 0; i < 20; i++) scheduler.Step(x, 50, x, 100, g);
        Assert.Equal(before + 20, scope.DisposablesCount);
    }
}
