using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Policy.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Policy;

/// <summary>
/// Diffusion Policy (Chi et al. 2023) for low-dimensional observations, after diffusion_policy's
/// DiffusionUnetLowdimPolicy (real-stanford/diffusion_policy, policy/diffusion_unet_lowdim_policy.py) with
/// obs_as_global_cond: the normalised observation window, flattened, conditions the U-Net and the action chunk
/// alone is diffused. Assembled from injected parts (denoiser, scheduler, noise pairing) and exposing the two
/// entry points of the reference: compute a training loss, predict an action chunk.
/// </summary>
/// <remarks>
/// Inputs and outputs are normalised (the normaliser lives with the caller and the checkpoint). The only change
/// immiscible training makes is <see cref="INoiseAssigner"/>: which noise is paired with which action chunk.
/// </remarks>
public sealed class DiffusionPolicy
{
    /// <param name="model">
    /// the denoiser; its config must agree with <paramref name="config"/>. Training needs the TorchSharp
    /// <see cref="ConditionalUnet1D"/>; planning takes any <see cref="IDenoiser"/> (e.g. the ONNX engine's).
    /// </param>
    /// <param name="scheduler">forward process, training target and reverse step.</param>
    /// <param name="noiseAssigner">pairs each clean action chunk with its training noise.</param>
    /// <param name="config">shapes and horizons.</param>
    public DiffusionPolicy(IDenoiser model, IDiffusionScheduler scheduler, INoiseAssigner noiseAssigner, DiffusionPolicyConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(noiseAssigner);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (!model.Config.Equals(config.Unet))
            throw new ArgumentException(
                $"model was built for {model.Config} but the policy config says {config.Unet}", nameof(model));
        Denoiser = model;
        Scheduler = scheduler;
        NoiseAssigner = noiseAssigner;
        Config = config;
    }

    /// <summary>The denoiser epsilon_theta(a_t, t, obs), whatever engine runs it.</summary>
    public IDenoiser Denoiser { get; }

    /// <summary>The trainable TorchSharp network; throws when the denoiser runs in another engine.</summary>
    public ConditionalUnet1D Model => Denoiser as ConditionalUnet1D ?? throw new InvalidOperationException(
        $"the denoiser runs in the {Denoiser.Engine} engine; training and weight access need the TorchSharp ConditionalUnet1D");

    /// <summary>The diffusion scheduler.</summary>
    public IDiffusionScheduler Scheduler { get; }

    /// <summary>The noise pairing used in training.</summary>
    public INoiseAssigner NoiseAssigner { get; }

    /// <summary>Shapes and horizons.</summary>
    public DiffusionPolicyConfig Config { get; }

    /// <summary>
    /// Denoising loss of one batch, compute_loss of the reference: noise from the assigner, timesteps uniform in
    /// [0, T), a_t = AddNoise(a_0, noise, t), loss = mean squared error between the model output and the
    /// scheduler's training target. Random draws, in order: the assigner's, then the timesteps.
    /// Run it inside the training step's dispose scope; every intermediate is left to that scope.
    /// </summary>
    /// <param name="obsWindow">normalised observations (B, To, Do).</param>
    /// <param name="actions">normalised action chunk a_0 (B, Tp, Da).</param>
    /// <param name="generator">source of every random draw.</param>
    /// <param name="step">training step, passed to the noise assigner (warm-up schedules).</param>
    /// <returns>scalar loss, differentiable w.r.t. the model parameters.</returns>
    public Tensor ComputeLoss(Tensor obsWindow, Tensor actions, Generator? generator, long step = 0)
    {
        ArgumentNullException.ThrowIfNull(obsWindow);
        ArgumentNullException.ThrowIfNull(actions);
        long b = CheckObs(obsWindow);
        CheckShape(actions, nameof(actions), b, Config.Horizon, Config.ActionDim, "(B, Tp, Da)");
        CheckFinite(actions, nameof(actions));

        var globalCond = obsWindow.reshape(b, -1);                                               // (B, To Do)
        // Observation-aware pairings see the condition; every other assigner ignores it.
        var noise = NoiseAssignment.Assign(NoiseAssigner, actions, globalCond, generator, step);  // (B, Tp, Da)
        if (!noise.shape.SequenceEqual(actions.shape))
            throw new InvalidOperationException(
                $"noise assigner '{NoiseAssigner.Name}' returned shape ({string.Join(", ", noise.shape)}) for actions ({string.Join(", ", actions.shape)})");
        var timesteps = randint(0, Scheduler.NumTrainTimesteps, [b], dtype: int64,
            device: actions.device, generator: generator);                                       // (B) in [0, T)
        var noisy = Scheduler.AddNoise(actions, noise, timesteps);                              // (B, Tp, Da)
        var prediction = Model.forward(noisy, timesteps, globalCond);                           // (B, Tp, Da)
        var target = Scheduler.TrainingTarget(actions, noise, timesteps);                       // (B, Tp, Da)
        return nn.functional.mse_loss(prediction, target);                                       // ()
    }

    /// <summary>
    /// Samples an action chunk (predict_action of the reference): a_T ~ N(0, I) from
    /// <paramref name="generator"/>, then one scheduler step per inference timestep, under inference mode
    /// in a dispose scope. Returns the executed actions (from index To - 1, Ta steps) and the full chunk.
    /// </summary>
    /// <param name="obsWindow">normalised observations (B, To, Do).</param>
    /// <param name="numInferenceSteps">denoising steps, 1..T (100 = every DDPM step as published).</param>
    /// <param name="generator">source of the initial noise and of stochastic scheduler steps.</param>
    /// <param name="initialNoise">a_T (B, Tp, Da) to start from instead of a draw (the "bijective" check); null draws it.</param>
    public ActionPrediction PredictActionChunk(Tensor obsWindow, int numInferenceSteps, Generator? generator, Tensor? initialNoise = null)
    {
        ArgumentNullException.ThrowIfNull(obsWindow);
        // One generator for the whole batch: a_T first, then the scheduler's own draws (diffusers' order).
        return Sample(obsWindow, numInferenceSteps, initialNoise,
            (b, device) => randn([b, Config.Horizon, Config.ActionDim], dtype: float32, device: device, generator: generator),
            (output, t, sample) => Scheduler.Step(output, t, sample, numInferenceSteps, generator));
    }

    /// <summary>
    /// Samples an action chunk with one seed per batch row (<see cref="NoiseSeeds"/>): row b's a_T and its
    /// per-step variance noise come from its own generator with the shapes a batch of one draws, so each row
    /// equals <c>PredictActionChunk(obsWindow[b:b+1], steps, new Generator(seed_b))</c> up to float rounding of
    /// the batched network call.
    /// </summary>
    /// <param name="obsWindow">normalised observations (B, To, Do).</param>
    /// <param name="numInferenceSteps">denoising steps, 1..T.</param>
    /// <param name="seeds">one seed per row (B of them).</param>
    public ActionPrediction PredictActionChunk(Tensor obsWindow, int numInferenceSteps, NoiseSeeds seeds)
    {
        ArgumentNullException.ThrowIfNull(obsWindow);
        ArgumentNullException.ThrowIfNull(seeds);
        if (obsWindow.ndim >= 1 && obsWindow.shape[0] != seeds.Count)
            throw new ArgumentException($"expected one seed per observation window: {obsWindow.shape[0]} windows but {seeds.Count} seeds", nameof(seeds));
        long[] row = [Config.Horizon, Config.ActionDim];
        return Sample(obsWindow, numInferenceSteps, null,
            (_, device) => seeds.Randn(row, float32, device),
            (output, t, sample) => Scheduler.StepWithNoise(output, t, sample, numInferenceSteps,
                Scheduler.NeedsVarianceNoise(t, numInferenceSteps) ? seeds.Randn(row, output.dtype, output.device) : null));
    }

    // The reverse chain shared by both noise sources: drawInitial(B, device) gives a_T (B, Tp, Da) when no
    // initial noise is given; step(output, t, x_t) gives x_prev.
    private ActionPrediction Sample(Tensor obsWindow, int numInferenceSteps, Tensor? initialNoise, Func<long, Device, Tensor> drawInitial,
        Func<Tensor, long, Tensor, Tensor> step)
    {
        long b = CheckObs(obsWindow);
        if (numInferenceSteps < 1 || numInferenceSteps > Scheduler.NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), numInferenceSteps,
                $"must be between 1 and the scheduler's {Scheduler.NumTrainTimesteps} training timesteps");

        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var globalCond = obsWindow.reshape(b, -1);                                               // (B, To Do)
        if (initialNoise is not null)
            CheckShape(initialNoise, nameof(initialNoise), b, Config.Horizon, Config.ActionDim, "(B, Tp, Da)");
        var sample = initialNoise?.to(float32, obsWindow.device) ?? drawInitial(b, obsWindow.device); // a_T: (B, Tp, Da)
        foreach (long t in Scheduler.InferenceTimesteps(numInferenceSteps))
        {
            using var stepScope = NewDisposeScope();
            var output = Denoiser.forward(sample, tensor(t, int64, obsWindow.device), globalCond); // (B, Tp, Da)
            sample = step(output, t, sample).MoveToOuterDisposeScope();
        }
        int start = Config.ObsSteps - 1;
        var actions = sample[.., start..(start + Config.ActionSteps)];                          // (B, Ta, Da)
        return new ActionPrediction(actions.MoveToOuterDisposeScope(), sample.MoveToOuterDisposeScope());
    }

    private long CheckObs(Tensor obsWindow)
    {
        if (obsWindow.ndim != 3)
            throw new ArgumentException(
                $"expected obsWindow of shape (B, {Config.ObsSteps}, {Config.ObsDim}); got ({string.Join(", ", obsWindow.shape)})", nameof(obsWindow));
        long b = obsWindow.shape[0];
        CheckShape(obsWindow, nameof(obsWindow), b, Config.ObsSteps, Config.ObsDim, "(B, To, Do)");
        if (b < 1) throw new ArgumentException("obsWindow must hold at least one sample; got B = 0", nameof(obsWindow));
        CheckFinite(obsWindow, nameof(obsWindow));
        return b;
    }

    private static void CheckShape(Tensor t, string name, long b, long d1, long d2, string layout)
    {
        if (t.ndim != 3 || t.shape[0] != b || t.shape[1] != d1 || t.shape[2] != d2)
            throw new ArgumentException(
                $"expected {name} of shape {layout} = ({b}, {d1}, {d2}); got ({string.Join(", ", t.shape)})", name);
    }

    private static void CheckFinite(Tensor t, string name)
    {
        using var scope = NewDisposeScope();
        if (!isfinite(t).all().item<bool>())
            throw new ArgumentException($"{name} contains NaN or infinite values", name);
    }
}
