using System.Collections.ObjectModel;
using ImmisciblePolicy.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Core.Schedulers;

/// <summary>
/// The discrete forward process shared by DDPM and DDIM: betas, abar_t, q(x_t | x_0), the training targets and the
/// inference timestep grids (huggingface/diffusers src/diffusers/schedulers/scheduling_ddpm.py, DDPMScheduler
/// <c>__init__</c>, <c>set_timesteps</c>, <c>add_noise</c>, <c>get_velocity</c>, <c>previous_timestep</c>).
/// Immutable and holds no native tensors, so one instance is safe to share between threads.
/// </summary>
public sealed class DiffusionSchedule
{
    private readonly float[] _alphasCumprod; // abar_t as diffusers' float32 values, (T)

    /// <summary>Builds the schedule of <paramref name="config"/>; throws <see cref="ArgumentException"/> if it is invalid.</summary>
    public DiffusionSchedule(DiffusionScheduleConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var betas = BetaSchedules.Betas(config);
        var alphasCumprod = BetaSchedules.AlphasCumprod(betas);
        Betas = new ReadOnlyCollection<double>(betas);
        Alphas = new ReadOnlyCollection<double>(Array.ConvertAll(betas, b => (double)(1f - (float)b)));
        AlphasCumprod = new ReadOnlyCollection<double>(alphasCumprod);
        _alphasCumprod = Array.ConvertAll(alphasCumprod, a => (float)a);
    }

    /// <summary>The configuration this schedule was built from.</summary>
    public DiffusionScheduleConfig Config { get; }

    /// <summary>T, the number of training timesteps.</summary>
    public int NumTrainTimesteps => Config.NumTrainTimesteps;

    /// <summary>beta_t, t = 0..T-1 (float32 values, see <see cref="BetaSchedules"/>).</summary>
    public IReadOnlyList<double> Betas { get; }

    /// <summary>alpha_t = 1 - beta_t (float32 values).</summary>
    public IReadOnlyList<double> Alphas { get; }

    /// <summary>abar_t = prod_{s&lt;=t} alpha_s (float32 values), diffusers' alphas_cumprod.</summary>
    public IReadOnlyList<double> AlphasCumprod { get; }

    /// <summary>abar_t as the float32 number diffusers' 0-d tensor <c>alphas_cumprod[t]</c> holds.</summary>
    internal float AlphaCumprodF32(long timestep) => _alphasCumprod[timestep];

    /// <summary>
    /// q(x_t | x_0) sample: sqrt(abar_t) x0 + sqrt(1 - abar_t) eps (DDPM eq. 4), diffusers' <c>add_noise</c>.
    /// Shapes: original, noise (B, ...); timesteps integer (B) in [0, T). Coefficients are computed in the sample's dtype
    /// from the float32 abar, as diffusers does after <c>alphas_cumprod.to(dtype=original_samples.dtype)</c>.
    /// </summary>
    public Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps)
    {
        ValidateSamplePair(original, nameof(original), noise, nameof(noise));
        using var scope = NewDisposeScope();
        var (sqrtAbar, sqrtOneMinusAbar) = Coefficients(original, timesteps, nameof(timesteps)); // (B, 1, ..., 1)
        return sqrtAbar.mul(original).add(sqrtOneMinusAbar.mul(noise), Scalars.One).MoveToOuterDisposeScope(); // (B, ...)
    }

    /// <summary>
    /// The velocity v = sqrt(abar_t) eps - sqrt(1 - abar_t) x0 (Salimans and Ho 2022, section 4; Imagen Video 2.4),
    /// diffusers' <c>get_velocity</c>. Shapes as in <see cref="AddNoise"/>.
    /// </summary>
    public Tensor Velocity(Tensor original, Tensor noise, Tensor timesteps)
    {
        ValidateSamplePair(original, nameof(original), noise, nameof(noise));
        using var scope = NewDisposeScope();
        var (sqrtAbar, sqrtOneMinusAbar) = Coefficients(original, timesteps, nameof(timesteps)); // (B, 1, ..., 1)
        return sqrtAbar.mul(noise).sub(sqrtOneMinusAbar.mul(original)).MoveToOuterDisposeScope(); // (B, ...)
    }

    /// <summary>The regression target for <see cref="DiffusionScheduleConfig.PredictionType"/>: eps, x0 or v.</summary>
    public Tensor TrainingTarget(Tensor original, Tensor noise, Tensor timesteps)
    {
        ValidateSamplePair(original, nameof(original), noise, nameof(noise));
        return Config.PredictionType switch
        {
            PredictionType.Epsilon => ValidatedCopy(noise, original, timesteps),
            PredictionType.Sample => ValidatedCopy(original, original, timesteps),
            PredictionType.VPrediction => Velocity(original, noise, timesteps),
            _ => throw new InvalidOperationException($"unknown prediction type {Config.PredictionType}"),
        };
    }

    /// <summary>
    /// Timesteps visited by an N-step sampler, descending: diffusers' <c>set_timesteps(num_inference_steps)</c> for
    /// DDPMScheduler and DDIMScheduler (identical there) under <see cref="DiffusionScheduleConfig.TimestepSpacing"/>.
    /// </summary>
    public long[] InferenceTimesteps(int numInferenceSteps)
    {
        ValidateNumInferenceSteps(numInferenceSteps);
        int t = NumTrainTimesteps, n = numInferenceSteps;
        var steps = new long[n];
        switch (Config.TimestepSpacing)
        {
            case TimestepSpacing.Leading:
                // (arange(N) * (T // N))[::-1] + steps_offset
                for (int k = 0; k < n; k++) steps[k] = (long)(n - 1 - k) * (t / n) + Config.StepsOffset;
                if (steps[0] >= t)
                    throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), numInferenceSteps,
                        $"with {nameof(DiffusionScheduleConfig.StepsOffset)} = {Config.StepsOffset} the first 'leading' timestep " +
                        $"would be {steps[0]}, expected at most {t - 1}; use fewer steps or a smaller offset");
                break;
            case TimestepSpacing.Trailing:
                // round(arange(T, 0, -T / N)) - 1. numpy's float arange fills start + k * delta with
                // delta = (start + step) - start, and rounds half to even. For some (T, N), e.g. (100, 29), numpy's
                // arange yields N + 1 values, the last one giving timestep -1; we return the first N (diffusers' extra
                // entry would index abar[-1]).
                double delta = (t + -((double)t / n)) - t;
                for (int k = 0; k < n; k++) steps[k] = (long)Math.Round(t + k * delta, MidpointRounding.ToEven) - 1;
                break;
            case TimestepSpacing.Linspace:
                // round(linspace(0, T-1, N))[::-1]; numpy's linspace computes k * ((T-1) / (N-1)) and pins the end point
                if (n == 1) { steps[0] = 0; break; }
                double spacing = (double)(t - 1) / (n - 1);
                for (int k = 0; k < n; k++)
                {
                    double value = k == n - 1 ? t - 1 : k * spacing;
                    steps[n - 1 - k] = (long)Math.Round(value, MidpointRounding.ToEven);
                }
                break;
            default:
                throw new InvalidOperationException($"unknown timestep spacing {Config.TimestepSpacing}");
        }
        return steps;
    }

    /// <summary>
    /// diffusers' <c>previous_timestep</c> / DDIM's <c>prev_timestep</c>: t - T // N, whatever the spacing; negative
    /// means "past the end of the chain" (abar_prev = 1, or abar_0 for DDIM without set_alpha_to_one).
    /// </summary>
    public long PreviousTimestep(long timestep, int numInferenceSteps)
    {
        ValidateTimestep(timestep);
        ValidateNumInferenceSteps(numInferenceSteps);
        return timestep - NumTrainTimesteps / numInferenceSteps;
    }

    internal void ValidateTimestep(long timestep, string name = "timestep")
    {
        if (timestep < 0 || timestep >= NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(name, timestep,
                $"{name} must be in [0, {NumTrainTimesteps - 1}] (T = {NumTrainTimesteps}); received {timestep}");
    }

    internal void ValidateNumInferenceSteps(int numInferenceSteps, string name = "numInferenceSteps")
    {
        if (numInferenceSteps < 1 || numInferenceSteps > NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(name, numInferenceSteps,
                $"{name} must be in [1, {NumTrainTimesteps}] (the number of training timesteps); received {numInferenceSteps}");
    }

    /// <summary>Both tensors non-null, floating point, at least 1-D, same shape.</summary>
    /// <summary>
    /// Checks a step's explicit variance noise z: required with modelOutput's shape when the step adds noise,
    /// absent otherwise (a caller passing z to a deterministic step has its draws out of step with the scheduler's).
    /// </summary>
    internal static void ValidateVarianceNoise(Tensor? varianceNoise, bool needed, Tensor modelOutput, long timestep)
    {
        const string name = "varianceNoise";
        if (needed && varianceNoise is null)
            throw new ArgumentException($"the step at timestep {timestep} adds variance noise: {name} of shape [{string.Join(", ", modelOutput.shape)}] is required; received null", name);
        if (!needed && varianceNoise is not null)
            throw new ArgumentException($"the step at timestep {timestep} adds no variance noise: {name} must be null; received a tensor of shape [{string.Join(", ", varianceNoise.shape)}]", name);
        if (varianceNoise is not null) ValidateSamplePair(modelOutput, nameof(modelOutput), varianceNoise, name);
    }

    internal static void ValidateSamplePair(Tensor a, string aName, Tensor b, string bName)
    {
        ArgumentNullException.ThrowIfNull(a, aName);
        ArgumentNullException.ThrowIfNull(b, bName);
        if (!a.is_floating_point())
            throw new ArgumentException($"{aName} must be a floating-point tensor; received dtype {a.dtype}", aName);
        if (!b.is_floating_point())
            throw new ArgumentException($"{bName} must be a floating-point tensor; received dtype {b.dtype}", bName);
        if (a.dim() < 1)
            throw new ArgumentException($"{aName} must have a batch dimension (B, ...); received a 0-d tensor", aName);
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException(
                $"{bName} must have the shape of {aName}, [{string.Join(", ", a.shape)}]; received [{string.Join(", ", b.shape)}]", bName);
    }

    /// <summary>
    /// sqrt(abar_t) and sqrt(1 - abar_t) per batch row, shaped (B, 1, ..., 1) to broadcast over <paramref name="like"/>,
    /// in its dtype and on its device. For float32 the arithmetic is float32 on the float32 abar, as in diffusers.
    /// </summary>
    private (Tensor SqrtAbar, Tensor SqrtOneMinusAbar) Coefficients(Tensor like, Tensor timesteps, string name)
    {
        var ts = ReadTimesteps(timesteps, like.shape[0], name);
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = ts.Length;
        if (like.dtype == ScalarType.Float64)
        {
            var a = new double[ts.Length];
            var s = new double[ts.Length];
            for (int i = 0; i < ts.Length; i++)
            {
                double abar = _alphasCumprod[ts[i]];
                a[i] = Math.Sqrt(abar);
                s[i] = Math.Sqrt(1.0 - abar);
            }
            return (tensor(a, shape, device: like.device), tensor(s, shape, device: like.device));
        }
        var af = new float[ts.Length];
        var sf = new float[ts.Length];
        for (int i = 0; i < ts.Length; i++)
        {
            float abar = _alphasCumprod[ts[i]];
            af[i] = MathF.Sqrt(abar);
            sf[i] = MathF.Sqrt(1f - abar);
        }
        return (tensor(af, shape, device: like.device).to(like.dtype), tensor(sf, shape, device: like.device).to(like.dtype));
    }

    /// <summary>Reads a (B) integer timestep tensor to managed memory, checking length and range.</summary>
    private long[] ReadTimesteps(Tensor timesteps, long batch, string name)
    {
        ArgumentNullException.ThrowIfNull(timesteps, name);
        if (timesteps.is_floating_point() || timesteps.is_complex() || timesteps.dtype == ScalarType.Bool)
            throw new ArgumentException($"{name} must be an integer tensor (int64); received dtype {timesteps.dtype}", name);
        if (timesteps.dim() != 1 || timesteps.shape[0] != batch)
            throw new ArgumentException(
                $"{name} must have shape [{batch}] (one timestep per batch row); received [{string.Join(", ", timesteps.shape)}]", name);
        using var cpu = timesteps.detach().cpu().to_type(ScalarType.Int64);
        var values = cpu.data<long>().ToArray();
        foreach (var t in values) ValidateTimestep(t, name);
        return values;
    }

    private Tensor ValidatedCopy(Tensor target, Tensor original, Tensor timesteps)
    {
        // The target ignores t for eps/x0, but a bad timestep tensor is still the caller's bug: report it here.
        _ = ReadTimesteps(timesteps, original.shape[0], nameof(timesteps));
        return target.clone();
    }
}
