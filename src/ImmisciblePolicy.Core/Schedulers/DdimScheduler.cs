using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>
/// DDIM sampling (Song et al. 2021, eqs. 12 and 16) with diffusers' numerics: huggingface/diffusers
/// src/diffusers/schedulers/scheduling_ddim.py, <c>DDIMScheduler.step</c> and <c>_get_variance</c>.
/// eta = 0 is the deterministic sampler; eta = 1 matches DDPM's posterior variance on the strided chain.
/// </summary>
/// <remarks>
/// Immutable and stateless per call (no step index), so one instance may serve concurrent requests. Scalar
/// coefficients are float32 in diffusers' order of operations. Not supported: dynamic thresholding and
/// <c>use_clipped_model_output</c>; eta is limited to [0, 1]. Caller-supplied <c>variance_noise</c> is
/// <see cref="StepWithNoise(Tensor, long, Tensor, int, double, Tensor?)"/>.
/// </remarks>
public sealed class DdimScheduler : IDiffusionScheduler
{
    /// <summary>Builds the scheduler with the default eta used by <see cref="Step(Tensor, long, Tensor, int, Generator?)"/>.</summary>
    /// <param name="config">schedule; throws <see cref="ArgumentException"/> if invalid.</param>
    /// <param name="eta">DDIM's eta in [0, 1]; 0 (diffusers' default) is deterministic.</param>
    public DdimScheduler(DiffusionScheduleConfig config, double eta = 0.0)
    {
        ValidateEta(eta, nameof(eta));
        Schedule = new DiffusionSchedule(config);
        Eta = eta;
    }

    /// <summary>The forward process: betas, abar, timestep grids.</summary>
    public DiffusionSchedule Schedule { get; }

    /// <summary>eta used by the interface's <see cref="Step(Tensor, long, Tensor, int, Generator?)"/>.</summary>
    public double Eta { get; }

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

    /// <summary>t - T // N, diffusers' <c>prev_timestep</c> in <c>DDIMScheduler.step</c>.</summary>
    public long PreviousTimestep(long timestep, int numInferenceSteps) => Schedule.PreviousTimestep(timestep, numInferenceSteps);

    /// <summary>
    /// sigma_t^2 / eta^2 = (1 - abar_prev) / (1 - abar_t) * (1 - abar_t / abar_prev) (DDIM eq. 16), diffusers'
    /// <c>_get_variance</c>; abar_prev past the end is diffusers' final_alpha_cumprod.
    /// </summary>
    public double Variance(long timestep, int numInferenceSteps)
    {
        var (alphaProdT, alphaProdPrev) = AlphaProducts(timestep, numInferenceSteps);
        return VarianceF32(alphaProdT, alphaProdPrev);
    }

    /// <inheritdoc />
    public Tensor Step(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, Generator? generator) =>
        Step(modelOutput, timestep, sample, numInferenceSteps, Eta, generator);

    /// <summary>
    /// One DDIM step from x_t to x_prev with an explicit <paramref name="eta"/>. Shapes: modelOutput, sample (B, ...).
    /// When eta &gt; 0 the noise is drawn from <paramref name="generator"/> with modelOutput's shape and dtype, as diffusers
    /// does, so the same seed reproduces diffusers' sample.
    /// </summary>
    public Tensor Step(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, double eta, Generator? generator)
    {
        DiffusionSchedule.ValidateSamplePair(sample, nameof(sample), modelOutput, nameof(modelOutput));
        ValidateEta(eta, nameof(eta));
        using var scope = NewDisposeScope();
        var noise = eta > 0
            ? randn(modelOutput.shape, dtype: modelOutput.dtype, device: modelOutput.device, generator: generator) // (B, ...)
            : null;
        return StepWithNoise(modelOutput, timestep, sample, numInferenceSteps, eta, noise).MoveToOuterDisposeScope();
    }

    /// <summary>DDIM adds sigma_t z on every step when eta &gt; 0 and never when eta = 0 (this instance's <see cref="Eta"/>).</summary>
    public bool NeedsVarianceNoise(long timestep, int numInferenceSteps) => Eta > 0;

    /// <inheritdoc />
    public Tensor StepWithNoise(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, Tensor? varianceNoise) =>
        StepWithNoise(modelOutput, timestep, sample, numInferenceSteps, Eta, varianceNoise);

    /// <summary>
    /// One DDIM step with an explicit <paramref name="eta"/> and the variance noise z given (diffusers'
    /// <c>variance_noise</c>): required with modelOutput's shape when eta &gt; 0, null when eta = 0.
    /// </summary>
    public Tensor StepWithNoise(Tensor modelOutput, long timestep, Tensor sample, int numInferenceSteps, double eta, Tensor? varianceNoise)
    {
        DiffusionSchedule.ValidateSamplePair(sample, nameof(sample), modelOutput, nameof(modelOutput));
        Schedule.ValidateTimestep(timestep, nameof(timestep));
        Schedule.ValidateNumInferenceSteps(numInferenceSteps, nameof(numInferenceSteps));
        ValidateEta(eta, nameof(eta));
        DiffusionSchedule.ValidateVarianceNoise(varianceNoise, eta > 0, modelOutput, timestep);
        var config = Schedule.Config;
        using var scope = NewDisposeScope();

        // 1-2. abar at t and at the previous point of the N-step grid.
        var (alphaProdT, alphaProdPrev) = AlphaProducts(timestep, numInferenceSteps);
        float betaProdT = 1f - alphaProdT;
        // Scalars are held by using-locals for the whole step, never implicit temporaries (docs/design.md "Native safety").
        using var sqrtAlphaProdT = MathF.Sqrt(alphaProdT).ToScalar();
        using var sqrtBetaProdT = MathF.Sqrt(betaProdT).ToScalar();

        // 3. x0_hat (f_theta of eq. 12) and eps_hat from the model output.
        Tensor x0, eps; // (B, ...)
        switch (config.PredictionType)
        {
            case PredictionType.Epsilon:
                x0 = sample.sub(modelOutput.mul(sqrtBetaProdT)).div(sqrtAlphaProdT);
                eps = modelOutput;
                break;
            case PredictionType.Sample:
                x0 = modelOutput;
                eps = sample.sub(x0.mul(sqrtAlphaProdT)).div(sqrtBetaProdT);
                break;
            case PredictionType.VPrediction:
                x0 = sample.mul(sqrtAlphaProdT).sub(modelOutput.mul(sqrtBetaProdT));
                eps = modelOutput.mul(sqrtAlphaProdT).add(sample.mul(sqrtBetaProdT), Scalars.One);
                break;
            default:
                throw new InvalidOperationException($"unknown prediction type {config.PredictionType}");
        }

        // 4. clip x0_hat only; like diffusers (use_clipped_model_output = false) eps_hat is not re-derived.
        if (config.ClipSample)
        {
            float range = (float)config.ClipSampleRange;
            using var low = (-range).ToScalar();
            using var high = range.ToScalar();
            x0 = x0.clamp(low, high);
        }

        // 5. sigma_t(eta) of eq. 16.
        float std = (float)eta * MathF.Sqrt(VarianceF32(alphaProdT, alphaProdPrev));

        // 6-7. x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma_t^2) eps_hat (+ sigma_t z), eq. 12.
        using var sqrtAlphaProdPrev = MathF.Sqrt(alphaProdPrev).ToScalar();
        using var direction = MathF.Sqrt(1f - alphaProdPrev - std * std).ToScalar();
        var prevSample = x0.mul(sqrtAlphaProdPrev).add(eps.mul(direction), Scalars.One); // (B, ...)
        if (varianceNoise is not null)
        {
            var noise = varianceNoise.to(modelOutput.dtype, modelOutput.device); // (B, ...)
            using var sigma = std.ToScalar();
            prevSample = prevSample.add(noise.mul(sigma), Scalars.One);
        }
        return prevSample.MoveToOuterDisposeScope();
    }

    private (float AlphaProdT, float AlphaProdPrev) AlphaProducts(long timestep, int numInferenceSteps)
    {
        long prev = Schedule.PreviousTimestep(timestep, numInferenceSteps);
        float alphaProdT = Schedule.AlphaCumprodF32(timestep);
        // final_alpha_cumprod: past the end of the chain abar_prev is 1 (set_alpha_to_one) or abar_0.
        float finalAlphaCumprod = Schedule.Config.SetAlphaToOne ? 1f : Schedule.AlphaCumprodF32(0);
        float alphaProdPrev = prev >= 0 ? Schedule.AlphaCumprodF32(prev) : finalAlphaCumprod;
        return (alphaProdT, alphaProdPrev);
    }

    private static float VarianceF32(float alphaProdT, float alphaProdPrev)
    {
        float betaProdT = 1f - alphaProdT;
        float betaProdPrev = 1f - alphaProdPrev;
        return betaProdPrev / betaProdT * (1f - alphaProdT / alphaProdPrev);
    }

    private static void ValidateEta(double eta, string name)
    {
        if (!(eta >= 0 && eta <= 1))
            throw new ArgumentOutOfRangeException(name, eta, $"{name} must be in [0, 1] (0 = deterministic DDIM); received {eta}");
    }
}
