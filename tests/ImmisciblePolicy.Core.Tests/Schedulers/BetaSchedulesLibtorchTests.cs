using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Tests.Schedulers;

/// <summary>
/// diffusers builds its schedules with torch.linspace / ** 2 / 1 - b / torch.cumprod on float32 tensors. Running those
/// same libtorch kernels (through TorchSharp) is the reference for our managed re-implementation.
/// </summary>
public class BetaSchedulesLibtorchTests
{
    public BetaSchedulesLibtorchTests() => TorchRuntime.Configure(1);

    [Theory]
    [InlineData(BetaSchedule.Linear, 1000)]
    [InlineData(BetaSchedule.ScaledLinear, 1000)]
    [InlineData(BetaSchedule.Linear, 100)]
    [InlineData(BetaSchedule.SquaredCosCapV2, 100)]
    public void AlphasCumprod_MatchesLibtorchFloat32Pipeline(BetaSchedule schedule, int t)
    {
        using var scope = NewDisposeScope();
        var config = new DiffusionScheduleConfig { BetaSchedule = schedule, NumTrainTimesteps = t };
        var betas = BetaSchedules.Betas(config);
        var torchBetas = schedule switch
        {
            BetaSchedule.Linear => linspace(1e-4, 0.02, t, dtype: ScalarType.Float32),
            BetaSchedule.ScaledLinear => linspace(Math.Sqrt(1e-4), Math.Sqrt(0.02), t, dtype: ScalarType.Float32).pow(2),
            // the cosine betas come from Python floats; only the float32 cast and the cumprod are libtorch's
            _ => tensor(Array.ConvertAll(betas, b => (float)b)),
        };
        var expectedBetas = torchBetas.data<float>().ToArray();
        var expectedAbar = torchBetas.neg().add(1.0).cumprod(0).data<float>().ToArray();
        var abar = BetaSchedules.AlphasCumprod(betas);
        for (int i = 0; i < t; i++)
        {
            // Equal up to 1 ulp: libtorch's linspace rounding depends on how its kernel was compiled (FMA or not).
            Assert.True(UlpDistance(expectedBetas[i], (float)betas[i]) <= 1, $"beta[{i}]: libtorch {expectedBetas[i]:R}, ours {betas[i]:R}");
            Assert.True(UlpDistance(expectedAbar[i], (float)abar[i]) <= 1, $"abar[{i}]: libtorch {expectedAbar[i]:R}, ours {abar[i]:R}");
        }
    }

    private static int UlpDistance(float a, float b) => Math.Abs(BitConverter.SingleToInt32Bits(a) - BitConverter.SingleToInt32Bits(b));
}
