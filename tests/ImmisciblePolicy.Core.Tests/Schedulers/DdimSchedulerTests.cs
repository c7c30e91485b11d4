using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Schedulers.ReferenceFormulas;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Schedulers;

public class DdimSchedulerTests
{
    private static readonly double[] Xt = { 0.3, -0.7, 1.2, 0.05, 0.9, -1.1 };
    private static readonly double[] ModelOut = { 0.5, -0.2, 0.1, -1.3, 0.4, 0.8 };
    private static readonly long[] Shape = { 2, 3 };

    public DdimSchedulerTests() => TorchRuntime.Configure(1);

    /// <summary>(x0_hat, eps_hat) from the model output, each parameterisation solved from x_t = sqrt(abar) x0 + sqrt(1 - abar) eps.</summary>
    private static (double X0, double Eps) Decompose(PredictionType type, double abar, double x, double m)
    {
        double a = Math.Sqrt(abar), s = Math.Sqrt(1 - abar);
        return type switch
        {
            PredictionType.Epsilon => ((x - s * m) / a, m),
            PredictionType.Sample => (m, (x - a * m) / s),
            PredictionType.VPrediction => (a * x - s * m, a * m + s * x),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }

    /// <summary>DDIM eq. 12 with sigma_t(eta) of eq. 16.</summary>
    private static double[] ExpectedStep(PredictionType type, double abarT, double abarPrev, double eta, double[]? z)
    {
        double sigma = eta * Math.Sqrt((1 - abarPrev) / (1 - abarT) * (1 - abarT / abarPrev));
        var expected = new double[Xt.Length];
        for (int i = 0; i < Xt.Length; i++)
        {
            var (x0, eps) = Decompose(type, abarT, Xt[i], ModelOut[i]);
            expected[i] = Math.Sqrt(abarPrev) * x0 + Math.Sqrt(1 - abarPrev - sigma * sigma) * eps + (z is null ? 0 : sigma * z[i]);
        }
        return expected;
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.Sample)]
    [InlineData(PredictionType.VPrediction)]
    public void Step_EtaZero_MatchesDeterministicDdimUpdate(PredictionType type)
    {
        using var scope = NewDisposeScope();
        // Diffusion Policy's cosine schedule, 10 of 100 steps: t = 50 -> prev 40.
        var scheduler = new DdimScheduler(DiffusionScheduleConfig.DiffusionPolicy with { PredictionType = type, ClipSample = false });
        var result = Read(scheduler.Step(Tensor2x3(ModelOut), 50, Tensor2x3(Xt), 10, null));
        AssertClose(ExpectedStep(type, CosineAlphaBar(50, 100), CosineAlphaBar(40, 100), 0, null), result, 1e-5, "x_40");
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.Sample)]
    [InlineData(PredictionType.VPrediction)]
    public void Step_EtaHalf_AddsSigmaTimesSeededNoise(PredictionType type)
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdimScheduler(new DiffusionScheduleConfig { PredictionType = type, ClipSample = false }, eta: 0.5);
        using var g = new Generator(42);
        var result = Read(scheduler.Step(Tensor2x3(ModelOut), 600, Tensor2x3(Xt), 20, g)); // T/N = 50: prev 550
        Func<int, double> beta = i => LinearBeta(i, 1000);
        var expected = ExpectedStep(type, AlphaBar(beta, 600), AlphaBar(beta, 550), 0.5, StandardNormal(42, Shape));
        AssertClose(expected, result, 1e-5, "x_550");
    }

    [Fact]
    public void Step_PerCallEta_OverridesConstructorEta()
    {
        using var scope = NewDisposeScope();
        var withEta = new DdimScheduler(DiffusionScheduleConfig.DiffusionPolicy, eta: 1.0);
        var perCall = new DdimScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        using var g1 = new Generator(8);
        using var g2 = new Generator(8);
        var a = Read(withEta.Step(Tensor2x3(ModelOut), 70, Tensor2x3(Xt), 10, g1));
        var b = Read(perCall.Step(Tensor2x3(ModelOut), 70, Tensor2x3(Xt), 10, 1.0, g2));
        AssertClose(a, b, 0, "eta 1");
    }

    [Fact]
    public void Step_EtaZero_DrawsNoRandomness()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdimScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        using var g = new Generator(11);
        scheduler.Step(Tensor2x3(ModelOut), 50, Tensor2x3(Xt), 10, g);
        AssertClose(StandardNormal(11, Shape), Read(randn(Shape, generator: g)), 0, "next draw");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Step_PastTheEnd_UsesFinalAlphaCumprod(bool setAlphaToOne)
    {
        using var scope = NewDisposeScope();
        var config = DiffusionScheduleConfig.DiffusionPolicy with { SetAlphaToOne = setAlphaToOne, ClipSample = false };
        var scheduler = new DdimScheduler(config);
        Assert.Equal(-10, scheduler.PreviousTimestep(0, 10));
        var result = Read(scheduler.Step(Tensor2x3(ModelOut), 0, Tensor2x3(Xt), 10, null));
        double final = setAlphaToOne ? 1.0 : CosineAlphaBar(0, 100);
        AssertClose(ExpectedStep(PredictionType.Epsilon, CosineAlphaBar(0, 100), final, 0, null), result, 1e-5, "x_prev");
    }

    [Fact]
    public void Step_WithClipSample_ClampsX0ButKeepsModelEps()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdimScheduler(DiffusionScheduleConfig.DiffusionPolicy); // clip to [-1, 1]
        var result = Read(scheduler.Step(Tensor2x3(ModelOut), 2, Tensor2x3(Xt), 50, null)); // prev 0
        double abarT = CosineAlphaBar(2, 100), abarPrev = CosineAlphaBar(0, 100);
        var expected = new double[6];
        for (int i = 0; i < 6; i++)
        {
            var (x0, eps) = Decompose(PredictionType.Epsilon, abarT, Xt[i], ModelOut[i]);
            expected[i] = Math.Sqrt(abarPrev) * Math.Clamp(x0, -1, 1) + Math.Sqrt(1 - abarPrev) * eps;
        }
        AssertClose(expected, result, 1e-5, "x_0");
        Assert.True(Math.Abs(expected[2] - ExpectedStep(PredictionType.Epsilon, abarT, abarPrev, 0, null)[2]) > 1e-3,
            "x0_hat[2] was inside [-1, 1]; the test data no longer exercise clipping");
    }

    [Theory]
    [InlineData(10, 0.0)]
    [InlineData(50, 0.0)]
    [InlineData(10, 1.0)]
    public void FullLoop_WithOracleDenoiser_ReturnsX0(int steps, double eta)
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdimScheduler(new DiffusionScheduleConfig { StepsOffset = 1 }, eta);
        Assert.Equal(1, scheduler.InferenceTimesteps(steps)[^1]);
        var x0 = Tensor2x3(new[] { 0.5, -0.25, 0.8, -0.9, 0.1, 0.0 });
        using var g = new Generator(77);
        var x = randn(Shape, generator: g);
        foreach (long t in scheduler.InferenceTimesteps(steps))
        {
            double abar = scheduler.Schedule.AlphasCumprod[(int)t];
            var eps = x.sub(x0.mul(Math.Sqrt(abar))).div(Math.Sqrt(1 - abar)); // exact eps for the current x_t
            x = scheduler.Step(eps, t, x, steps, g);
        }
        AssertClose(Read(x0), Read(x), 1e-4, "x0");
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Eta_OutsideUnitInterval_IsRejected(double eta)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DdimScheduler(DiffusionScheduleConfig.DiffusionPolicy, eta));
        Assert.Equal("eta", e.ParamName);
        Assert.Contains("[0, 1]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_TimestepOutOfRange_NamesIt()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdimScheduler(new DiffusionScheduleConfig());
        var x = Tensor2x3(Xt);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(x, 1000, x, 10, null));
        Assert.Equal("timestep", e.ParamName);
        Assert.Contains("received 1000", e.Message, StringComparison.Ordinal);
        var n = Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(x, 10, x, 1001, null));
        Assert.Contains("received 1001", n.Message, StringComparison.Ordinal);
    }
}
