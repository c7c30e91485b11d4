using ImmisciblePolicy.Core.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy.Tests.Fakes;

/// <summary>
/// A tiny deterministic stand-in for a diffusion scheduler (the real ones live on another branch): simple
/// closed forms the tests can recompute, and a log of what the policy asked for.
/// </summary>
internal sealed class FakeScheduler : IDiffusionScheduler
{
    public int NumTrainTimesteps => 10;

    public PredictionType PredictionType => PredictionType.Epsilon;

    public List<long[]> AddNoiseTimesteps { get; } = [];

    public List<(long Timestep, int NumInferenceSteps)> Steps { get; } = [];

    /// <summary>x_t = x0 + eps (t + 1) / T.</summary>
    public Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps)
    {
        AddNoiseTimesteps.Add(timesteps.data<long>().ToArray());
        return original + noise * Scale(timesteps);
    }

    public static Tensor Scale(Tensor timesteps) => ((timesteps.to(float32) + 1) / 10f).reshape(-1, 1, 1);

    /// <summary>Deliberately not plain eps, so a test sees that the policy regresses onto this target.</summary>
    public Tensor TrainingTarget(Tensor original, Tensor noise, Tensor timesteps) => noise - 0.5f * original;

    public long[] InferenceTimesteps(int numInferenceSteps) =>
        Enumerable.Range(0, numInferenceSteps).Select(i => (long)((numInferenceSteps - 1 - i) * NumTrainTimesteps / numInferenceSteps)).ToArray();

    /// <summary>x_prev = x_t - 0.1 model output.</summary>
    public Tensor Step(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, Generator? generator)
    {
        Steps.Add((timestep, numInferenceSteps));
        return sample - 0.1f * modelOutput;
    }

    /// <summary>Deterministic: never adds variance noise.</summary>
    public bool NeedsVarianceNoise(long timestep, int numInferenceSteps) => false;

    public Tensor StepWithNoise(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, Tensor? varianceNoise) =>
        Step(modelOutput, timestep, sample, numInferenceSteps, null);
}
