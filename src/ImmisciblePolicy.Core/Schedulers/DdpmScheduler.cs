using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>
/// DDPM ancestral sampling (Ho et al. 2020) with diffusers' numerics: huggingface/diffusers
/// src/diffusers/schedulers/scheduling_ddpm.py, <c>DDPMScheduler.step</c> and <c>_get_variance</c>.
/// With N &lt; T inference steps it follows diffusers' "custom steps" behaviour: the previous timestep is t - T // N and
/// the step uses the effective beta 1 - abar_t / abar_prev.
/// </summary>
/// <remarks>
/// Immutable and stateless per call (no step index), so one instance may serve concurrent requests. Scalar
/// coefficients are computed in float32 in diffusers' order of operations, because diffusers computes them on 0-d
/// float32 tensors. Not supported: learned / log variance types, thresholding.
/// </remarks>
public sealed class DdpmScheduler : IDiffusionScheduler
{
    /// <summary>Builds the scheduler; throws <see cref="ArgumentException"/> if <paramref name="config"/> is invalid.</summary>
    public DdpmScheduler(DiffusionScheduleConfig config)
    {
        Schedule = new DiffusionSchedule(config);
    }

    /// <summary>The forward process: betas, abar, timestep grids.</summary>
    public DiffusionSchedule Schedule { get; }

    /// <inheritdoc />
    public int NumTrainTimesteps => Schedule.NumTrainTimesteps;

    /// <inheritdoc />
    public PredictionType PredictionType => Schedule.Config.PredictionType;

    /// <inheritdoc />
    public Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps) => Schedule.AddNoise(original, noise, timesteps);

    /// <inheritdoc />
    public Tensor TrainingTarget(Tensor original, Tensor noise, Tensor timesteps) => Schedule.TrainingTarget(original, noise, timesteps);

    /// <inheritdoc />
    public long[] InferenceTimesteps(int numInferenceSteps) => Schedule.InferenceTimesteps(numInferenceSteps);

    /// <summary>t - T // N, diffusers' <c>previous_timestep</c>.</summary>
    public long PreviousTimestep(long timestep, int numInferenceSteps) => Schedule.PreviousTimestep(timestep, numInferenceSteps);

    /// <summary>
    /// The reverse-step variance: fixed_small = (1 - abar_prev) / (1 - abar_t) * beta_t clamped at 1e-20 (DDPM eqs. 6-7),
    /// fixed_large = beta_t, where beta_t = 1 - abar_t / abar_prev is the effective beta of the N-step chain.
    /// diffusers' <c>_get_variance</c>.
    /// </summary>
    public double Variance(long timestep, int numInferenceSteps) => VarianceF32(timestep, numInferenceSteps);

    /// <summary>
    /// x_{t-1} ~ N(mu~_t(x_t, x0_hat), sigma_t^2 I) (DDPM eq. 7). Shapes: modelOutput, sample (B, ...). Noise is drawn
    /// from <paramref name="generator"/> with the shape and dtype of <paramref name="modelOutput"/> only when t &gt; 0,
    /// exactly like diffusers, so the same seed gives diffusers' sample; the arithmetic is <see cref="StepWithNoise"/>'s.
    /// </summary>
    public Tensor Step(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, Generator? generator)
    {
        DiffusionSchedule.ValidateSamplePair(sample, nameof(sample), modelOutput, nameof(modelOutput));
        Schedule.ValidateTimestep(timestep, nameof(timestep));
        Schedule.ValidateNumInferenceSteps(numInferenceSteps, nameof(numInferenceSteps));
        using var scope = NewDisposeScope();
        var noise = NeedsVarianceNoise(timestep, numInferenceSteps)
            ? randn(modelOutput.shape, dtype: modelOutput.dtype, device: modelOutput.device, generator: generator) // (B, ...)
            : null;
        return StepWithNoise(modelOutput, timestep, sample, numInferenceSteps, noise).MoveToOuterDisposeScope();
    }

    /// <summary>DDPM adds sigma_t z on every step except the last one (t = 0), as diffusers' <c>if t > 0</c>.</summary>
    public bool NeedsVarianceNoise(long timestep, int numInferenceSteps) => timestep > 0;

    /// <summary>
    /// <see cref="Step"/> with z given: x_{t-1} = mu~_t + sigma_t z (DDPM eq. 7). <paramref name="varianceNoise"/>
    /// (B, ...) like modelOutput when t &gt; 0, null at t = 0.
    /// </summary>
    public Tensor StepWithNoise(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, Tensor? varianceNoise)
    {
        DiffusionSchedule.ValidateSamplePair(sample, nameof(sample), modelOutput, nameof(modelOutput));
        Schedule.ValidateTimestep(timestep, nameof(timestep));
        Schedule.ValidateNumInferenceSteps(numInferenceSteps, nameof(numInferenceSteps));
        DiffusionSchedule.ValidateVarianceNoise(varianceNoise, NeedsVarianceNoise(timestep, numInferenceSteps), modelOutput, timestep);
        var config = Schedule.Config;
        using var scope = NewDisposeScope();

        // 1. alphas and betas of this (possibly strided) step, float32 like diffusers' 0-d tensors.
        long prev = Schedule.PreviousTimestep(timestep, numInferenceSteps);
        float alphaProdT = Schedule.AlphaCumprodF32(timestep);
        float alphaProdPrev = prev >= 0 ? Schedule.AlphaCumprodF32(prev) : 1f;
        float betaProdT = 1f - alphaProdT;
        float betaProdPrev = 1f - alphaProdPrev;
        float currentAlpha = alphaProdT / alphaProdPrev;
        float currentBeta = 1f - currentAlpha;

        // 2. x0_hat, "predicted x_0" of DDPM eq. 15. Scalars are held by using-locals for the whole step, never
        // implicit temporaries (docs/design.md "Native safety").
        using var sqrtAlphaProdT = MathF.Sqrt(alphaProdT).ToScalar();
        using var sqrtBetaProdT = MathF.Sqrt(betaProdT).ToScalar();
        Tensor x0 = config.PredictionType switch // (B, ...)
        {
            PredictionType.Epsilon => sample.sub(modelOutput.mul(sqrtBetaProdT)).div(sqrtAlphaProdT),
            PredictionType.Sample => modelOutput,
            PredictionType.VPrediction => sample.mul(sqrtAlphaProdT).sub(modelOutput.mul(sqrtBetaProdT)),
            _ => throw new InvalidOperationException($"unknown prediction type {config.PredictionType}"),
        };

        // 3. clip x0_hat: data live in [-range, range], so a prediction outside it is certainly wrong.
        if (config.ClipSample)
        {
            float range = (float)config.ClipSampleRange;
            using var low = (-range).ToScalar();
            using var high = range.ToScalar();
            x0 = x0.clamp(low, high);
        }

        // 4-5. posterior mean mu~_t = sqrt(abar_prev) beta_t / (1 - abar_t) x0 + sqrt(alpha_t) (1 - abar_prev) / (1 - abar_t) x_t (eq. 7).
        using var x0Coeff = (MathF.Sqrt(alphaProdPrev) * currentBeta / betaProdT).ToScalar();
        using var sampleCoeff = (MathF.Sqrt(currentAlpha) * betaProdPrev / betaProdT).ToScalar();
        var mean = x0.mul(x0Coeff).add(sample.mul(sampleCoeff), Scalars.One); // (B, ...)

        // 6. add sigma_t z, except on the last step t = 0.
        if (varianceNoise is not null)
        {
            var noise = varianceNoise.to(modelOutput.dtype, modelOutput.device); // (B, ...)
            using var std = MathF.Sqrt(VarianceF32(timestep, numInferenceSteps)).ToScalar();
            mean = mean.add(noise.mul(std), Scalars.One);
        }
        return mean.MoveToOuterDisposeScope();
    }

    private float VarianceF32(long timestep, int numInferenceSteps)
    {
        long prev = Schedule.PreviousTimestep(timestep, numInferenceSteps);
        float alphaProdT = Schedule.AlphaCumprodF32(timestep);
        float alphaProdPrev = prev >= 0 ? Schedule.AlphaCumprodF32(prev) : 1f;
        float currentBeta = 1f - alphaProdT / alphaProdPrev;
        // diffusers clamps before choosing the type ("we always take the log of variance").
        float variance = Math.Max((1f - alphaProdPrev) / (1f - alphaProdT) * currentBeta, 1e-20f);
        return Schedule.Config.VarianceType switch
        {
            VarianceType.FixedSmall => variance,
            VarianceType.FixedLarge => currentBeta,
            _ => throw new InvalidOperationException($"unknown variance type {Schedule.Config.VarianceType}"),
        };
    }
}
