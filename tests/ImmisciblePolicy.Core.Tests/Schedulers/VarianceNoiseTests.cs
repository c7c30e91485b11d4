using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static ImmisciblePolicy.Core.Tests.Schedulers.ReferenceFormulas;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Schedulers;

/// <summary>
/// The explicit-noise step (diffusers' variance_noise) and per-row seeds: the generator step is the explicit
/// step with the generator's draw, and a batch sampled with <see cref="NoiseSeeds"/> equals its rows sampled alone.
/// </summary>
public class VarianceNoiseTests
{
    public VarianceNoiseTests() => TorchRuntime.Configure(1);

    private static IDiffusionScheduler[] Schedulers() =>
    [
        new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy),
        new DdimScheduler(new DiffusionScheduleConfig { PredictionType = PredictionType.VPrediction }, eta: 0.7),
        new DdimScheduler(DiffusionScheduleConfig.DiffusionPolicy),
    ];

    // A smooth, row-wise stand-in for a network, so every step's numbers matter.
    private static Tensor Model(Tensor x, long t) => x.mul(0.3).add(t / 1000.0).sin();

    [Fact]
    public void StepWithNoise_GivenTheGeneratorsDraw_EqualsStepBitForBit()
    {
        foreach (var scheduler in Schedulers())
        {
            const int steps = 20;
            using var scope = NewDisposeScope();
            using var g1 = new Generator(5);
            using var g2 = new Generator(5);
            var a = randn([3, 8], generator: g1);
            var b = randn([3, 8], generator: g2);
            foreach (long t in scheduler.InferenceTimesteps(steps))
            {
                a = scheduler.Step(Model(a, t), t, a, steps, g1);
                var z = scheduler.NeedsVarianceNoise(t, steps) ? randn([3, 8], generator: g2) : null;
                b = scheduler.StepWithNoise(Model(b, t), t, b, steps, z);
            }
            Assert.Equal(Read(a), Read(b));
        }
    }

    [Fact]
    public void NeedsVarianceNoise_FollowsDiffusers_DdpmButTheLastStep_DdimWithEta()
    {
        var ddpm = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        Assert.True(ddpm.NeedsVarianceNoise(1, 100));
        Assert.False(ddpm.NeedsVarianceNoise(0, 100));
        Assert.False(new DdimScheduler(DiffusionScheduleConfig.DiffusionPolicy).NeedsVarianceNoise(500, 10));
        Assert.True(new DdimScheduler(DiffusionScheduleConfig.DiffusionPolicy, eta: 0.5).NeedsVarianceNoise(0, 10));
    }

    [Fact]
    public void StepWithNoise_RefusesMissingSuperfluousOrMisshapenNoise()
    {
        var ddpm = new DdpmScheduler(DiffusionScheduleConfig.DiffusionPolicy);
        using var scope = NewDisposeScope();
        var x = zeros(2, 4);
        var missing = Assert.Throws<ArgumentException>(() => ddpm.StepWithNoise(x.add(1), 90, x, 10, null));
        Assert.Contains("varianceNoise of shape [2, 4] is required", missing.Message, StringComparison.Ordinal);
        var extra = Assert.Throws<ArgumentException>(() => ddpm.StepWithNoise(x, 0, x, 10, zeros(2, 4)));
        Assert.Contains("must be null", extra.Message, StringComparison.Ordinal);
        var shape = Assert.Throws<ArgumentException>(() => ddpm.StepWithNoise(x, 90, x, 10, zeros(2, 5)));
        Assert.Contains("[2, 4]", shape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoiseSeeds_RowB_IsWhatABatchOfOneWithSeedBDraws()
    {
        using var scope = NewDisposeScope();
        long[] seeds = [3, -7, long.MaxValue];
        using var rows = new NoiseSeeds(seeds);
        var first = rows.Randn([16, 2]);                                   // a_T
        var second = rows.Randn([16, 2]);                                  // a step's variance noise
        Assert.Equal([3L, 16, 2], first.shape);
        for (int b = 0; b < seeds.Length; b++)
        {
            using var g = new Generator(unchecked((ulong)seeds[b]));
            Assert.Equal(Read(randn([1, 16, 2], generator: g)), Read(first[b..(b + 1)]));
            Assert.Equal(Read(randn([1, 16, 2], generator: g)), Read(second[b..(b + 1)]));
        }
        Assert.NotEqual(Read(first[0]), Read(first[1]));
        Assert.Throws<ArgumentException>(() => new NoiseSeeds([]));
    }

    [Fact]
    public void BatchedChainWithNoiseSeeds_EqualsEachRowAlone()
    {
        foreach (var scheduler in Schedulers())
        {
            const int steps = 15;
            long[] seeds = [21, 22, 23, 24];
            double[] Chain(long[] s)
            {
                using var scope = NewDisposeScope();
                using var noise = new NoiseSeeds(s);
                var x = noise.Randn([8]);                                  // (B, 8)
                foreach (long t in scheduler.InferenceTimesteps(steps))
                    x = scheduler.StepWithNoise(Model(x, t), t, x, steps, scheduler.NeedsVarianceNoise(t, steps) ? noise.Randn([8]) : null);
                return Read(x);
            }
            var batched = Chain(seeds);
            for (int b = 0; b < seeds.Length; b++)
                Assert.Equal(Chain([seeds[b]]), batched[(8 * b)..(8 * (b + 1))]);
        }
    }
}
