namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>
/// Configuration of a discrete-time diffusion schedule, field for field diffusers' DDPMScheduler / DDIMScheduler
/// constructor arguments (huggingface/diffusers src/diffusers/schedulers/scheduling_ddpm.py and scheduling_ddim.py,
/// <c>__init__</c>). Defaults are diffusers' defaults unless noted. Immutable, so it can travel inside checkpoints.
/// </summary>
/// <remarks>
/// Not modelled: trained_betas, rescale_betas_zero_snr, the "sigmoid" schedule, the learned variance types and
/// dynamic thresholding (thresholding / dynamic_thresholding_ratio / sample_max_value).
/// </remarks>
public sealed record DiffusionScheduleConfig
{
    /// <summary>T, the number of training timesteps (timesteps are 0..T-1). diffusers' default 1000.</summary>
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>beta at t = 0 for the linear schedules. diffusers' default 1e-4 (Ho et al. 2020).</summary>
    public double BetaStart { get; init; } = 1e-4;

    /// <summary>beta at t = T-1 for the linear schedules. diffusers' default 0.02 (Ho et al. 2020).</summary>
    public double BetaEnd { get; init; } = 0.02;

    /// <summary>How the betas are laid out. diffusers' default "linear".</summary>
    public BetaSchedule BetaSchedule { get; init; } = BetaSchedule.Linear;

    /// <summary>What the denoiser predicts. diffusers' default "epsilon".</summary>
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary>Clamp the predicted x0 to [-ClipSampleRange, ClipSampleRange] in every step. diffusers' default true.</summary>
    public bool ClipSample { get; init; } = true;

    /// <summary>Bound for <see cref="ClipSample"/>. diffusers' default 1.0 (data normalised to [-1, 1]).</summary>
    public double ClipSampleRange { get; init; } = 1.0;

    /// <summary>DDPM's reverse-step noise variance. diffusers' default "fixed_small". Ignored by DDIM.</summary>
    public VarianceType VarianceType { get; init; } = VarianceType.FixedSmall;

    /// <summary>
    /// DDIM only: when the previous timestep falls below 0, use abar_prev = 1 (true) or abar_0 (false), i.e.
    /// diffusers' final_alpha_cumprod. diffusers' default true. DDPM always uses 1.
    /// </summary>
    public bool SetAlphaToOne { get; init; } = true;

    /// <summary>Added to every "leading" inference timestep (Stable Diffusion uses 1). diffusers' default 0.</summary>
    public int StepsOffset { get; init; }

    /// <summary>Which timesteps an N-step sampler visits. diffusers' default "leading".</summary>
    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;

    /// <summary>
    /// Diffusion Policy's noise scheduler (real-stanford/diffusion_policy, config/train_diffusion_unet_lowdim_workspace.yaml
    /// <c>noise_scheduler</c>): 100 training steps, squaredcos_cap_v2, epsilon prediction, clip_sample true with range 1,
    /// fixed_small variance; beta_start/beta_end are present there but unused by the cosine schedule.
    /// </summary>
    public static DiffusionScheduleConfig DiffusionPolicy { get; } = new()
    {
        NumTrainTimesteps = 100,
        BetaSchedule = BetaSchedule.SquaredCosCapV2,
        PredictionType = PredictionType.Epsilon,
        ClipSample = true,
        ClipSampleRange = 1.0,
        VarianceType = VarianceType.FixedSmall,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field, what was expected and what came.</summary>
    public void Validate()
    {
        if (NumTrainTimesteps < 2)
            throw new ArgumentOutOfRangeException(nameof(NumTrainTimesteps), NumTrainTimesteps,
                $"{nameof(NumTrainTimesteps)} must be at least 2; received {NumTrainTimesteps}");
        if (BetaSchedule is BetaSchedule.Linear or BetaSchedule.ScaledLinear)
        {
            if (!(BetaStart > 0 && BetaStart < 1))
                throw new ArgumentOutOfRangeException(nameof(BetaStart), BetaStart,
                    $"{nameof(BetaStart)} must be in (0, 1); received {BetaStart}");
            if (!(BetaEnd > 0 && BetaEnd < 1))
                throw new ArgumentOutOfRangeException(nameof(BetaEnd), BetaEnd,
                    $"{nameof(BetaEnd)} must be in (0, 1); received {BetaEnd}");
        }
        if (!Enum.IsDefined(BetaSchedule))
            throw new ArgumentOutOfRangeException(nameof(BetaSchedule), BetaSchedule, $"unknown {nameof(BetaSchedule)} {BetaSchedule}");
        if (!Enum.IsDefined(PredictionType))
            throw new ArgumentOutOfRangeException(nameof(PredictionType), PredictionType, $"unknown {nameof(PredictionType)} {PredictionType}");
        if (!Enum.IsDefined(VarianceType))
            throw new ArgumentOutOfRangeException(nameof(VarianceType), VarianceType, $"unknown {nameof(VarianceType)} {VarianceType}");
        if (!Enum.IsDefined(TimestepSpacing))
            throw new ArgumentOutOfRangeException(nameof(TimestepSpacing), TimestepSpacing, $"unknown {nameof(TimestepSpacing)} {TimestepSpacing}");
        if (ClipSample && !(ClipSampleRange > 0 && double.IsFinite(ClipSampleRange)))
            throw new ArgumentOutOfRangeException(nameof(ClipSampleRange), ClipSampleRange,
                $"{nameof(ClipSampleRange)} must be finite and > 0 when {nameof(ClipSample)} is on; received {ClipSampleRange}");
        if (StepsOffset < 0 || StepsOffset >= NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(StepsOffset), StepsOffset,
                $"{nameof(StepsOffset)} must be in [0, {NumTrainTimesteps - 1}]; received {StepsOffset}");
    }
}
