using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Schedulers.ReferenceFormulas;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Schedulers;

public class DiffusionScheduleTests
{
    private static readonly double[] X0 = { 0.5, -0.25, 0.8, -0.9, 0.1, 0.0 };
    private static readonly double[] Eps = { 1.2, -0.4, 0.3, 0.7, -1.5, 0.05 };

    public DiffusionScheduleTests() => TorchRuntime.Configure(1);

    [Fact]
    public void AddNoise_PerRowTimesteps_MatchesForwardProcess()
    {
        using var scope = NewDisposeScope();
        var schedule = new DiffusionSchedule(DiffusionScheduleConfig.DiffusionPolicy);
        long[] ts = { 10, 77 };
        var xt = Read(schedule.AddNoise(Tensor2x3(X0), Tensor2x3(Eps), tensor(ts)));
        var expected = new double[6];
        for (int i = 0; i < 6; i++)
        {
            double abar = CosineAlphaBar((int)ts[i / 3], 100);
            expected[i] = Math.Sqrt(abar) * X0[i] + Math.Sqrt(1 - abar) * Eps[i]; // DDPM eq. 4
        }
        AssertClose(expected, xt, 1e-6, "x_t");
    }

    [Fact]
    public void AddNoise_ThenInvertWithKnownNoise_RecoversX0()
    {
        using var scope = NewDisposeScope();
        var schedule = new DiffusionSchedule(new DiffusionScheduleConfig());
        long[] ts = { 0, 999 };
        var xt = schedule.AddNoise(Tensor2x3(X0), Tensor2x3(Eps), tensor(ts));
        var xtv = Read(xt);
        var recovered = new double[6];
        for (int i = 0; i < 6; i++)
        {
            double abar = schedule.AlphasCumprod[(int)ts[i / 3]];
            recovered[i] = (xtv[i] - Math.Sqrt(1 - abar) * Eps[i]) / Math.Sqrt(abar);
        }
        // At t = 999 abar = 4e-5, so float32 rounding of x_t is amplified by 1/sqrt(abar) = 160.
        AssertClose(X0, recovered, 1e-4, "x0");
    }

    [Fact]
    public void VelocityTarget_SatisfiesVPredictionIdentities()
    {
        using var scope = NewDisposeScope();
        var schedule = new DiffusionSchedule(new DiffusionScheduleConfig { PredictionType = PredictionType.VPrediction });
        long[] ts = { 250, 600 };
        var x0 = Tensor2x3(X0);
        var eps = Tensor2x3(Eps);
        var v = Read(schedule.TrainingTarget(x0, eps, tensor(ts)));
        var xt = Read(schedule.AddNoise(x0, eps, tensor(ts)));
        for (int i = 0; i < 6; i++)
        {
            double abar = AlphaBar(s => LinearBeta(s, 1000), (int)ts[i / 3]);
            double a = Math.Sqrt(abar), s = Math.Sqrt(1 - abar);
            Assert.Equal(a * Eps[i] - s * X0[i], v[i], 1e-6); // v = sqrt(abar) eps - sqrt(1 - abar) x0
            Assert.Equal(X0[i], a * xt[i] - s * v[i], 1e-5);  // x0 = sqrt(abar) x_t - sqrt(1 - abar) v
            Assert.Equal(Eps[i], s * xt[i] + a * v[i], 1e-5); // eps = sqrt(1 - abar) x_t + sqrt(abar) v
        }
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.Sample)]
    public void TrainingTarget_EpsilonOrSample_IsTheNoiseOrTheData(PredictionType prediction)
    {
        using var scope = NewDisposeScope();
        var schedule = new DiffusionSchedule(new DiffusionScheduleConfig { PredictionType = prediction });
        var target = Read(schedule.TrainingTarget(Tensor2x3(X0), Tensor2x3(Eps), tensor(new long[] { 3, 4 })));
        AssertClose(Read(Tensor2x3(prediction == PredictionType.Epsilon ? Eps : X0)), target, 0, "target");
    }

    [Fact]
    public void AddNoise_Float64_UsesDoubleCoefficients()
    {
        using var scope = NewDisposeScope();
        var schedule = new DiffusionSchedule(new DiffusionScheduleConfig());
        var x0 = tensor(X0, new long[] { 2, 3 });
        var eps = tensor(Eps, new long[] { 2, 3 });
        var xt = schedule.AddNoise(x0, eps, tensor(new long[] { 500, 500 }));
        Assert.Equal(ScalarType.Float64, xt.dtype);
        double abar = schedule.AlphasCumprod[500];
        AssertClose(Array.ConvertAll(new[] { 0, 1, 2, 3, 4, 5 }, i => Math.Sqrt(abar) * X0[i] + Math.Sqrt(1 - abar) * Eps[i]), Read(xt), 1e-12);
    }

    [Theory]
    [InlineData(TimestepSpacing.Leading, 1000, 10, 1, new long[] { 901, 801, 701, 601, 501, 401, 301, 201, 101, 1 })]
    [InlineData(TimestepSpacing.Leading, 1000, 10, 0, new long[] { 900, 800, 700, 600, 500, 400, 300, 200, 100, 0 })]
    [InlineData(TimestepSpacing.Leading, 1000, 3, 0, new long[] { 666, 333, 0 })]
    [InlineData(TimestepSpacing.Leading, 100, 100, 0, null)]
    [InlineData(TimestepSpacing.Trailing, 1000, 10, 0, new long[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 })]
    [InlineData(TimestepSpacing.Trailing, 1000, 3, 0, new long[] { 999, 666, 332 })]
    // numpy 1.24 output for T = 100, N = 24: 100 - 3 * 100/24 is 87.4999... in numpy's arange, so 86, not 87.
    [InlineData(TimestepSpacing.Trailing, 100, 24, 0, new long[] { 99, 95, 91, 86, 82, 78, 74, 70, 66, 61, 57, 53, 49, 45, 41, 36, 32, 28, 24, 20, 16, 11, 7, 3 })]
    [InlineData(TimestepSpacing.Linspace, 100, 24, 0, new long[] { 99, 95, 90, 86, 82, 77, 73, 69, 65, 60, 56, 52, 47, 43, 39, 34, 30, 26, 22, 17, 13, 9, 4, 0 })]
    // numpy's arange yields a 30th value here (timestep -1); we keep the first N = 29.
    [InlineData(TimestepSpacing.Trailing, 100, 29, 0, new long[] { 99, 96, 92, 89, 85, 82, 78, 75, 71, 68, 65, 61, 58, 54, 51, 47, 44, 40, 37, 33, 30, 27, 23, 20, 16, 13, 9, 6, 2 })]
    [InlineData(TimestepSpacing.Linspace, 1000, 3, 0, new long[] { 999, 500, 0 })]
    [InlineData(TimestepSpacing.Linspace, 1000, 4, 0, new long[] { 999, 666, 333, 0 })]
    public void InferenceTimesteps_FollowDiffusersSpacing(TimestepSpacing spacing, int t, int n, int offset, long[]? expected)
    {
        // Hand values from diffusers' set_timesteps: leading (arange(N) * (T // N))[::-1] + offset; trailing
        // round(arange(T, 0, -T/N)) - 1; linspace round(linspace(0, T-1, N))[::-1] with 499.5 rounding to even 500.
        expected ??= Enumerable.Range(0, t).Select(i => (long)(t - 1 - i)).ToArray();
        var schedule = new DiffusionSchedule(new DiffusionScheduleConfig { NumTrainTimesteps = t, TimestepSpacing = spacing, StepsOffset = offset });
        Assert.Equal(expected, schedule.InferenceTimesteps(n));
    }

    [Theory]
    [InlineData(TimestepSpacing.Leading)]
    [InlineData(TimestepSpacing.Trailing)]
    [InlineData(TimestepSpacing.Linspace)]
    public void InferenceTimesteps_AnyStepCount_AreNDistinctDescendingValidTimesteps(TimestepSpacing spacing)
    {
        foreach (int t in new[] { 100, 1000 })
        {
            var schedule = new DiffusionSchedule(new DiffusionScheduleConfig { NumTrainTimesteps = t, TimestepSpacing = spacing });
            for (int n = 1; n <= t; n++)
            {
                var steps = schedule.InferenceTimesteps(n);
                Assert.Equal(n, steps.Length);
                Assert.True(steps[0] < t && steps[^1] >= 0, $"T={t} N={n}: range [{steps[^1]}, {steps[0]}]");
                for (int k = 1; k < n; k++) Assert.True(steps[k] < steps[k - 1], $"T={t} N={n}: not descending at {k}");
            }
        }
    }

    [Fact]
    public void InferenceTimesteps_LeadingOffsetPastEnd_NamesTheProblem()
    {
        var schedule = new DiffusionSchedule(DiffusionScheduleConfig.DiffusionPolicy with { StepsOffset = 1 });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => schedule.InferenceTimesteps(100));
        Assert.Equal("numInferenceSteps", e.ParamName);
        Assert.Contains("would be 100, expected at most 99", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void InferenceTimesteps_StepsOutOfRange_Throw(int n)
    {
        var schedule = new DiffusionSchedule(DiffusionScheduleConfig.DiffusionPolicy);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => schedule.InferenceTimesteps(n));
        Assert.Equal("numInferenceSteps", e.ParamName);
        Assert.Contains("[1, 100]", e.Message, StringComparison.Ordinal);
        Assert.Contains($"received {n}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddNoise_BadTimesteps_AreRejectedWithNames()
    {
        using var scope = NewDisposeScope();
        var schedule = new DiffusionSchedule(DiffusionScheduleConfig.DiffusionPolicy);
        var x0 = Tensor2x3(X0);
        var eps = Tensor2x3(Eps);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => schedule.AddNoise(x0, eps, tensor(new long[] { 5, 100 })));
        Assert.Equal("timesteps", range.ParamName);
        Assert.Contains("received 100", range.Message, StringComparison.Ordinal);
        var length = Assert.Throws<ArgumentException>(() => schedule.AddNoise(x0, eps, tensor(new long[] { 5 })));
        Assert.Contains("shape [2]", length.Message, StringComparison.Ordinal);
        var dtype = Assert.Throws<ArgumentException>(() => schedule.AddNoise(x0, eps, tensor(new float[] { 5, 6 })));
        Assert.Contains("integer", dtype.Message, StringComparison.Ordinal);
        var shape = Assert.Throws<ArgumentException>(() => schedule.AddNoise(x0, zeros(2, 4), tensor(new long[] { 5, 6 })));
        Assert.Equal("noise", shape.ParamName);
        Assert.Contains("[2, 3]", shape.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 4]", shape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_Invalid_NamesTheField()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DiffusionSchedule(new DiffusionScheduleConfig { BetaEnd = 1.5 }));
        Assert.Equal("BetaEnd", e.ParamName);
        var c = Assert.Throws<ArgumentOutOfRangeException>(() => new DiffusionSchedule(new DiffusionScheduleConfig { ClipSampleRange = 0 }));
        Assert.Equal("ClipSampleRange", c.ParamName);
    }

    [Fact]
    public void DiffusionPolicyPreset_MatchesPublishedConfig()
    {
        var c = DiffusionScheduleConfig.DiffusionPolicy;
        Assert.Equal(100, c.NumTrainTimesteps);
        Assert.Equal(BetaSchedule.SquaredCosCapV2, c.BetaSchedule);
        Assert.Equal(PredictionType.Epsilon, c.PredictionType);
        Assert.True(c.ClipSample);
        Assert.Equal(1.0, c.ClipSampleRange);
        Assert.Equal(VarianceType.FixedSmall, c.VarianceType);
    }
}
