using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Core.Torch;
using ImmisciblePolicy.Images.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Images.Diffusion;

/// <summary>
/// An image diffusion model assembled from injected parts (network, schedule or flow, noise assigner, data
/// scaling) with the entry points of Diffusion Policy's design: compute a loss, sample, and edit. Images are
/// (B, C, S, S) in [-1, 1]; the pairing of noise with data is the assigner's job alone (immiscible or vanilla).
/// </summary>
public sealed class ImageDiffusion
{
    /// <summary>Flow times are multiplied by this before the sinusoidal embedding so they span DDPM's 0..1000 range (as SD3 does).</summary>
    public const double FlowTimeScale = 1000.0;

    private static readonly Scalar FlowTimeScaleScalar = FlowTimeScale.ToScalar();
    private static readonly Scalar MinusOne = (-1).ToScalar();

    private readonly DdpmScheduler _ddpm;
    private readonly FlowMatching _flow;
    private readonly DataScaling _scaling;

    /// <param name="network">the denoiser (its config must match <paramref name="config"/>.Unet in shape).</param>
    /// <param name="config">run configuration.</param>
    /// <param name="assigner">noise pairing; null builds the configured one with <see cref="NoiseAssigners.Create"/>.</param>
    public ImageDiffusion(UNet2D network, ImageRunConfig config, INoiseAssigner? assigner = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Network = network;
        Config = config;
        _ddpm = new DdpmScheduler(config.EffectiveSchedule);
        _flow = new FlowMatching(config.Flow);
        _scaling = DataScaling.FromConfig(config.Noise);
        Assigner = assigner ?? NoiseAssigners.Create(config.Noise);
    }

    /// <summary>The denoiser.</summary>
    public UNet2D Network { get; }

    /// <summary>The run configuration.</summary>
    public ImageRunConfig Config { get; }

    /// <summary>The noise pairing used in training.</summary>
    public INoiseAssigner Assigner { get; }

    /// <summary>
    /// The training loss of one batch (mean squared error to epsilon or to the velocity), with noise paired by
    /// <see cref="Assigner"/> on the scaled data. Labels are dropped to the null class with probability
    /// <see cref="ImageRunConfig.LabelDropout"/>.
    /// </summary>
    /// <param name="network">the network being trained (the trainer's online copy).</param>
    /// <param name="x0">(B, C, S, S) clean images in [-1, 1] (or latents).</param>
    /// <param name="labels">(B) int64 classes, or null for unconditional training.</param>
    /// <param name="generator">every random draw of the step.</param>
    /// <param name="step">training step (for noise warm-up).</param>
    public Tensor ComputeLoss(UNet2D network, Tensor x0, Tensor? labels, Generator generator, long step)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(x0);
        long b = x0.shape[0];
        var data = _scaling.IsIdentity ? x0 : _scaling.Scale(x0); // (B, C, S, S)
        var noise = Assigner.Assign(data, generator, step); // (B, C, S, S), row b paired with image b
        Tensor? y = null;
        if (labels is not null && network.Config.NumClasses > 0)
        {
            // Scalars held across the native calls, never implicit temporaries (docs/design.md "Native safety").
            using var dropout = Config.LabelDropout.ToScalar();
            using var nullClass = ((long)network.NullClass).ToScalar();
            var drop = rand(new[] { b }, generator: generator).lt(dropout); // (B) bool
            y = where(drop, full(new[] { b }, nullClass, dtype: ScalarType.Int64), labels); // (B)
        }
        Tensor input, target, time;
        if (Config.Objective == DiffusionObjective.Ddpm)
        {
            var t = randint(0, _ddpm.NumTrainTimesteps, new[] { b }, dtype: ScalarType.Int64, generator: generator); // (B)
            input = _ddpm.AddNoise(data, noise, t);
            target = _ddpm.TrainingTarget(data, noise, t);
            time = t.to_type(ScalarType.Float32);
        }
        else
        {
            var t = _flow.SampleTimes(b, generator); // (B) in [0, 1)
            input = _flow.Interpolate(data, noise, t);
            target = _flow.VelocityTarget(data, noise);
            time = t.mul(FlowTimeScaleScalar);
        }
        var prediction = network.forward(input, time, y); // (B, C, S, S)
        return nn.functional.mse_loss(prediction, target);
    }

    /// <summary>
    /// Draws <paramref name="count"/> images (B, C, S, S) in [-1, 1] (unbounded latents when ClampSamples is off), class-conditional when
    /// <paramref name="labels"/> (B) is given. Run under inference_mode.
    /// </summary>
    public Tensor Sample(int count, Tensor? labels, SamplingOptions options, Generator generator)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "must draw at least one image");
        return Denoise(null, null, 1.0, count, labels, options, generator);
    }

    /// <summary>
    /// Denoises the given starting noise <paramref name="initialNoise"/> (B, C, S, S) instead of a fresh draw: with a
    /// deterministic sampler (DDIM with eta 0, flow Euler/Heun) the sample is a function of the noise alone, which is
    /// what the "bijective" check of Immiscible Diffusion perturbs. Run under inference_mode.
    /// </summary>
    public Tensor Sample(Tensor initialNoise, Tensor? labels, SamplingOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(initialNoise);
        int s = Network.Config.ImageSize, c = Network.Config.InChannels;
        if (initialNoise.dim() != 4 || initialNoise.shape[1] != c || initialNoise.shape[2] != s || initialNoise.shape[3] != s)
            throw new ArgumentException($"initialNoise must be (B, {c}, {s}, {s}) like the model; received [{string.Join(", ", initialNoise.shape)}]", nameof(initialNoise));
        return Denoise(null, null, 1.0, (int)initialNoise.shape[0], labels, options, generator, initialNoise);
    }

    /// <summary>
    /// Edits <paramref name="image"/> (B, C, S, S) in [-1, 1]. Without a mask: SDEdit (Meng et al. 2022) - noise to
    /// time <paramref name="strength"/> and denoise. With a mask (B or 1, 1, S, S), 1 = regenerate, 0 = keep:
    /// in-painting / out-painting by replacing the kept region with the forward-noised original after every
    /// step (the replacement method of Song et al. 2021 / RePaint without resampling) and exactly with the
    /// original at the end, so the kept pixels are unchanged.
    /// </summary>
    public Tensor Edit(Tensor image, Tensor? mask, double strength, Tensor? labels, SamplingOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(image);
        int s = Network.Config.ImageSize, c = Network.Config.InChannels;
        if (image.dim() != 4 || image.shape[1] != c || image.shape[2] != s || image.shape[3] != s)
            throw new ArgumentException($"image must be (B, {c}, {s}, {s}) like the model; received [{string.Join(", ", image.shape)}]", nameof(image));
        if (!(strength >= 0 && strength <= 1))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, $"strength must be in [0, 1]; received {strength}");
        if (mask is not null && (mask.dim() != 4 || mask.shape[1] != 1 || mask.shape[2] != s || mask.shape[3] != s
                                 || (mask.shape[0] != 1 && mask.shape[0] != image.shape[0])))
            throw new ArgumentException($"mask must be (1 or {image.shape[0]}, 1, {s}, {s}) like the image; received [{string.Join(", ", mask.shape)}]", nameof(mask));
        return Denoise(image, mask, strength, (int)image.shape[0], labels, options, generator);
    }

    private Tensor Denoise(Tensor? known, Tensor? mask, double strength, int count, Tensor? labels, SamplingOptions options, Generator generator,
        Tensor? initialNoise = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate();
        var kind = options.Kind ?? (Config.Objective == DiffusionObjective.Ddpm ? ImageSamplerKind.Ddim : ImageSamplerKind.FlowEuler);
        bool flow = kind is ImageSamplerKind.FlowEuler or ImageSamplerKind.FlowHeun;
        if (flow != (Config.Objective == DiffusionObjective.FlowMatching))
            throw new ArgumentException($"sampler {kind} does not fit a model trained with the {Config.Objective} objective", nameof(options));
        if (labels is not null && (labels.dim() != 1 || labels.shape[0] != count))
            throw new ArgumentException($"labels must be ({count}); received [{string.Join(", ", labels.shape)}]", nameof(labels));
        if (labels is not null && Network.Config.NumClasses == 0)
            throw new ArgumentException("labels were given but the model is unconditional", nameof(labels));
        if (known is not null && strength == 0) return known.clone();

        int s = Network.Config.ImageSize, c = Network.Config.InChannels;
        long[] shape = [count, c, s, s];
        using var scope = NewDisposeScope();
        var data = known is null ? null : (_scaling.IsIdentity ? known : _scaling.Scale(known)); // (B, C, S, S) in model space
        var regenerate = mask?.to_type(ScalarType.Float32); // (1|B, 1, S, S)
        Func<Tensor, Tensor, Tensor> model = (x, t) => Predict(x, t, labels, options.GuidanceScale);
        Tensor result = flow
            ? DenoiseFlow(model, data, regenerate, strength, shape, kind, options.Steps, generator, initialNoise)
            : DenoiseDiscrete(model, data, regenerate, strength, shape, kind, options, generator, initialNoise);
        if (!_scaling.IsIdentity) result = _scaling.Unscale(result);
        return (Config.ClampSamples ? result.clamp(MinusOne, Scalars.One) : result).MoveToOuterDisposeScope();
    }

    private Tensor DenoiseDiscrete(Func<Tensor, Tensor, Tensor> model, Tensor? data, Tensor? regenerate, double strength,
        long[] shape, ImageSamplerKind kind, SamplingOptions options, Generator generator, Tensor? initialNoise)
    {
        IDiffusionScheduler scheduler = kind == ImageSamplerKind.Ddpm ? _ddpm : new DdimScheduler(Config.EffectiveSchedule, options.Eta);
        int n = Math.Min(options.Steps, scheduler.NumTrainTimesteps);
        var steps = scheduler.InferenceTimesteps(n);
        if (strength < 1) steps = steps.Where(t => t <= Math.Round(strength * (scheduler.NumTrainTimesteps - 1))).ToArray();
        if (steps.Length == 0) return data!.clone();
        var x = initialNoise ?? randn(shape, generator: generator); // (B, C, S, S) = x_T
        if (data is not null && (strength < 1 || regenerate is not null))
            x = scheduler.AddNoise(data.expand(shape), x, Timesteps(shape[0], steps[0])); // SDEdit start x_{t0}
        long stride = scheduler.NumTrainTimesteps / n;
        foreach (var t in steps)
        {
            using var stepScope = NewDisposeScope();
            var time = Times(shape[0], t); // (B)
            var next = scheduler.Step(model(x, time), t, x, n, generator); // x_{t_prev}
            if (regenerate is not null && data is not null)
            {
                long prev = t - stride;
                var keep = prev >= 0
                    ? scheduler.AddNoise(data.expand(shape), randn(shape, generator: generator), Timesteps(shape[0], prev))
                    : data.expand(shape); // (B, C, S, S) known region at the next noise level
                next = Blend(regenerate, next, keep);
            }
            x = next.MoveToOuterDisposeScope();
        }
        if (regenerate is not null && data is not null) x = Blend(regenerate, x, data.expand(shape));
        return x;
    }

    private Tensor DenoiseFlow(Func<Tensor, Tensor, Tensor> model, Tensor? data, Tensor? regenerate, double strength,
        long[] shape, ImageSamplerKind kind, int steps, Generator generator, Tensor? initialNoise)
    {
        var noise = initialNoise ?? randn(shape, generator: generator); // (B, C, S, S) = x(1)
        Tensor Velocity(Tensor x, Tensor t) => model(x, t.mul(FlowTimeScaleScalar));
        var solver = kind == ImageSamplerKind.FlowHeun ? FlowOdeSolver.Heun : FlowOdeSolver.Euler;
        if (data is null) return _flow.Sample(Velocity, noise, steps, solver); // plain generation: the core's solver

        // Editing starts at t0 = strength and must touch x between steps, which FlowMatching.Sample does not allow,
        // so the same uniform-grid Euler/Heun update is written out here on t_k = t0 (1 - k / n).
        int n = Math.Max(1, (int)Math.Ceiling(steps * strength));
        var full0 = data.expand(shape);
        Tensor x;
        using (var keepShare = (1 - strength).ToScalar())
        using (var noiseShare = strength.ToScalar())
            x = full0.mul(keepShare).add(noise.mul(noiseShare), Scalars.One); // x_{t0} = (1 - t0) x0 + t0 eps
        for (int k = 0; k < n; k++)
        {
            using var stepScope = NewDisposeScope();
            double t = strength * (n - k) / n, tNext = strength * (n - k - 1) / n, dt = tNext - t;
            using var step = dt.ToScalar();
            using var halfStep = (0.5 * dt).ToScalar();
            var v = Velocity(x, Times(shape[0], t));
            var next = x.add(v.mul(step), Scalars.One);
            if (solver == FlowOdeSolver.Heun)
                next = x.add(v.add(Velocity(next, Times(shape[0], tNext)), Scalars.One).mul(halfStep), Scalars.One);
            if (regenerate is not null)
            {
                using var keepShare = (1 - tNext).ToScalar();
                using var noiseShare = tNext.ToScalar();
                var keep = full0.mul(keepShare).add(randn(shape, generator: generator).mul(noiseShare), Scalars.One); // known region at tNext
                next = Blend(regenerate, next, keep);
            }
            x = next.MoveToOuterDisposeScope();
        }
        if (regenerate is not null) x = Blend(regenerate, x, full0);
        return x;
    }

    /// <summary>mask * generated + (1 - mask) * known: mask (1|B, 1, S, S), the others (B, C, S, S).</summary>
    private static Tensor Blend(Tensor mask, Tensor generated, Tensor known) =>
        mask.mul(generated).add(mask.neg().add(Scalars.One, Scalars.One).mul(known), Scalars.One);

    /// <summary>(B) float32 filled with timestep <paramref name="t"/> (the network's time input).</summary>
    private static Tensor Times(long batch, double t)
    {
        using var value = ((float)t).ToScalar(); // held across the call (docs/design.md "Native safety")
        return full(new[] { batch }, value);
    }

    /// <summary>(B) int64 filled with <paramref name="t"/> (a scheduler's timestep tensor).</summary>
    private static Tensor Timesteps(long batch, long t)
    {
        using var value = t.ToScalar();
        return full(new[] { batch }, value, dtype: ScalarType.Int64);
    }

    /// <summary>The network output with classifier-free guidance u + w (c - u) when labels are given and w != 1.</summary>
    private Tensor Predict(Tensor x, Tensor t, Tensor? labels, double guidance)
    {
        if (labels is null || Network.Config.NumClasses == 0) return Network.forward(x, t, null);
        if (guidance == 1.0) return Network.forward(x, t, labels);
        using var nullClass = Network.NullClass.ToScalar(); // held across the call (docs/design.md "Native safety")
        var nulls = full_like(labels, nullClass); // (B)
        var both = Network.forward(cat([x, x], 0), cat([t, t], 0), cat([labels, nulls], 0)); // (2B, C, S, S)
        var parts = both.chunk(2, 0);
        using var weight = guidance.ToScalar();
        return parts[1].add(parts[0].sub(parts[1]).mul(weight), Scalars.One); // u + w (c - u)
    }
}
