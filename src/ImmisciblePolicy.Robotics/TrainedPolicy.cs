using ImmisciblePolicy.Core.Noise;
using ImmisciblePolicy.Core.Schedulers;
using ImmisciblePolicy.Policy;
using ImmisciblePolicy.Policy.Data;
using ImmisciblePolicy.Policy.Networks;
using ImmisciblePolicy.Policy.Networks.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace ImmisciblePolicy.Robotics;

/// <summary>
/// A policy ready to plan: the EMA network of a checkpoint, its normalisers and its run config. Planning
/// happens under inference mode inside a dispose scope; calls are serialised because one network instance
/// is shared. The denoiser's forward pass runs in TorchSharp or ONNX Runtime (<see cref="Engine"/>); the
/// sampling loop, seeds and normalisers are the same in both.
/// </summary>
public sealed class TrainedPolicy : IActionChunkPlanner, IDisposable
{
    private readonly object _gate = new();
    private readonly DiffusionPolicy _policy;
    private readonly VisionDenoiser? _vision;

    /// <summary>A vision policy: camera encoders and U-Net in <paramref name="network"/> (EMA weights); plans from
    /// <see cref="ObservationWindow"/>s carrying camera frames. Torch engine only.</summary>
    public TrainedPolicy(PolicyRunConfig config, VisionDenoiser network, MinMaxNormalizer observationNormalizer,
        MinMaxNormalizer actionNormalizer, long step)
        : this(config, (network ?? throw new ArgumentNullException(nameof(network))).Unet, observationNormalizer, actionNormalizer, step, network)
    {
    }

    /// <param name="config">the run config (from the checkpoint's config.json).</param>
    /// <param name="network">the denoiser with the weights to use (EMA weights, as Diffusion Policy evaluates): the
    /// TorchSharp <see cref="ConditionalUnet1D"/> or the ONNX engine's denoiser. The policy owns it (Dispose).</param>
    /// <param name="observationNormalizer">fitted on the training observations.</param>
    /// <param name="actionNormalizer">fitted on the training actions.</param>
    /// <param name="step">the training step the weights come from.</param>
    public TrainedPolicy(PolicyRunConfig config, IDenoiser network, MinMaxNormalizer observationNormalizer,
        MinMaxNormalizer actionNormalizer, long step)
        : this(config, network, observationNormalizer, actionNormalizer, step, null)
    {
    }

    private TrainedPolicy(PolicyRunConfig config, IDenoiser network, MinMaxNormalizer observationNormalizer,
        MinMaxNormalizer actionNormalizer, long step, VisionDenoiser? vision)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(observationNormalizer);
        ArgumentNullException.ThrowIfNull(actionNormalizer);
        if (observationNormalizer.Dim != config.Policy.StateDim)
            throw new ArgumentException($"observation normaliser has {observationNormalizer.Dim} dimensions but the policy observes {config.Policy.StateDim}", nameof(observationNormalizer));
        if (actionNormalizer.Dim != config.Policy.ActionDim)
            throw new ArgumentException($"action normaliser has {actionNormalizer.Dim} dimensions but the policy acts in {config.Policy.ActionDim}", nameof(actionNormalizer));
        Config = config;
        ObservationNormalizer = observationNormalizer;
        ActionNormalizer = actionNormalizer;
        Step = step;
        if (network is ConditionalUnet1D unet) unet.eval();
        IDiffusionScheduler scheduler = config.Sampler == SamplerKind.Ddim
            ? new DdimScheduler(config.EffectiveSchedule)
            : new DdpmScheduler(config.EffectiveSchedule);
        _policy = new DiffusionPolicy(network, scheduler, new VanillaNoise(), config.Policy);
        if (vision is not null)
        {
            if (config.Policy.Vision is null || !vision.Config.Equals(config.Policy))
                throw new ArgumentException("the vision network was built for another policy configuration than the run config's", nameof(vision));
            vision.eval();
        }
        else if (config.Policy.Vision is not null)
        {
            throw new ArgumentException(
                "the run config describes a vision policy; pass its VisionDenoiser (camera encoders and U-Net), not the U-Net alone", nameof(network));
        }
        _vision = vision;
    }

    /// <summary>How the policy was trained and how it samples.</summary>
    public PolicyRunConfig Config { get; }

    /// <summary>Observation normaliser (task units to [-1, 1]).</summary>
    public MinMaxNormalizer ObservationNormalizer { get; }

    /// <summary>Action normaliser.</summary>
    public MinMaxNormalizer ActionNormalizer { get; }

    /// <summary>Training step of the weights.</summary>
    public long Step { get; }

    /// <summary>The denoiser (a <see cref="ConditionalUnet1D"/> with the Torch engine).</summary>
    public IDenoiser Network => _policy.Denoiser;

    /// <summary>The engine that runs the denoiser's forward pass.</summary>
    public PolicyEngine Engine => _policy.Denoiser.Engine;

    /// <summary>The camera encoders and U-Net of a vision policy; null for a state-only policy.</summary>
    public VisionDenoiser? Vision => _vision;

    /// <inheritdoc />
    public int ObservationSteps => Config.Policy.ObsSteps;

    /// <inheritdoc />
    public IReadOnlyList<ImageFeature> Cameras => Config.Policy.Vision?.Cameras ?? [];

    /// <inheritdoc />
    public double[][][] Plan(IReadOnlyList<double[][]> windows, long seed) => PlanChunks(windows, seed, null).Actions;

    /// <inheritdoc />
    public double[][][] Plan(IReadOnlyList<ObservationWindow> windows, long seed) => PlanChunks(windows, seed, null).Actions;

    /// <summary>
    /// Plans from full observation windows: the executed actions (B, Ta, Da) and the whole chunk (B, Tp, Da) in task
    /// units. A vision policy needs every step to carry one frame per camera of <see cref="Cameras"/>; a state-only
    /// policy uses the states alone.
    /// </summary>
    public (double[][][] Actions, double[][][] Chunks) PlanChunks(IReadOnlyList<ObservationWindow> windows, long seed, int? inferenceSteps)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (_vision is null)
            return PlanChunks(StatesOf(windows), seed, inferenceSteps);
        int steps = inferenceSteps ?? Config.InferenceSteps;
        return PlanVision(windows, features =>
        {
            using var g = new Generator(unchecked((ulong)seed));
            return _policy.PredictActionChunk(features, steps, g);
        });
    }

    /// <summary>
    /// Plans from full observation windows with one seed per window, as the state-only overload with seeds does: window
    /// b's noise comes from its own <c>Generator(seeds[b])</c> (<see cref="NoiseSeeds"/>), so its plan equals
    /// <c>PlanChunks([windows[b]], seeds[b], steps)</c> whatever else shares the batch (up to float rounding of the
    /// batched network). The serving path of vision policies.
    /// </summary>
    public (double[][][] Actions, double[][][] Chunks) PlanChunks(IReadOnlyList<ObservationWindow> windows, IReadOnlyList<long> seeds, int? inferenceSteps)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count != windows.Count)
            throw new ArgumentException($"expected one seed per observation window: {windows.Count} windows but {seeds.Count} seeds", nameof(seeds));
        if (_vision is null)
            return PlanChunks(StatesOf(windows), seeds, inferenceSteps);
        int steps = inferenceSteps ?? Config.InferenceSteps;
        return PlanVision(windows, features =>
        {
            using var noise = new NoiseSeeds(seeds);
            return _policy.PredictActionChunk(features, steps, noise);
        });
    }

    private static double[][][] StatesOf(IReadOnlyList<ObservationWindow> windows) =>
        [.. windows.Select((w, b) => (w ?? throw new ArgumentException($"observation window {b} is null", nameof(windows))).States())];

    // The vision path: validates every frame, encodes the cameras (centre crops, as LeRobot evaluates) and samples from
    // the per-step features (B, To, Do) with predict.
    private (double[][][] Actions, double[][][] Chunks) PlanVision(IReadOnlyList<ObservationWindow> windows, Func<Tensor, ActionPrediction> predict)
    {
        var cfg = Config.Policy;
        var vision = cfg.Vision!;
        if (windows.Count == 0) throw new ArgumentException("expected at least one observation window; got none", nameof(windows));
        int bsz = windows.Count, to = cfg.ObsSteps;
        var states = new double[bsz][][];
        var pixels = vision.Cameras.Select(c => new byte[(long)bsz * to * c.FrameBytes]).ToArray();   // per camera (B, To, H, W, C)
        for (int b = 0; b < bsz; b++)
        {
            var w = windows[b] ?? throw new ArgumentException($"observation window {b} is null", nameof(windows));
            if (w.Steps is null || w.Steps.Count != to)
                throw new ArgumentException($"observation window {b} has {w.Steps?.Count ?? 0} steps; the policy needs To = {to}", nameof(windows));
            states[b] = w.States();
            for (int t = 0; t < to; t++)
            {
                var images = w.Steps[t].Images ?? [];
                if (images.Count != vision.Cameras.Count)
                    throw new ArgumentException(
                        $"observation {t} of window {b} has {images.Count} camera frame(s); the policy needs [{string.Join(", ", vision.Cameras.Select(c => c.Name + " " + c.ShapeText))}]",
                        nameof(windows));
                for (int c = 0; c < vision.Cameras.Count; c++)
                {
                    var camera = vision.Cameras[c];
                    var frame = images.FirstOrDefault(f => f?.Camera == camera.Name)
                                ?? throw new ArgumentException($"observation {t} of window {b} has no frame of camera '{camera.Name}'", nameof(windows));
                    try { frame.Validate(camera); }
                    catch (ArgumentException e) { throw new ArgumentException($"observation {t} of window {b}: {e.Message}", nameof(windows), e); }
                    frame.Pixels.CopyTo(pixels[c], ((long)b * to + t) * camera.FrameBytes);
                }
            }
        }
        var normalized = ObservationNormalizer.Normalize(Flatten(states, nameof(windows)));
        float[] chunk;
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var state = tensor(normalized).reshape(bsz, to, vision.StateDim);                                  // (B, To, Ds)
            var frames = vision.Cameras.Select((c, i) => vision.Normalizer.Normalize(pixels[i], bsz * to, c.Height, c.Width, c.Channels)
                .reshape(bsz, to, c.Channels, c.Height, c.Width)).ToList();                                     // per camera (B, To, C, H, W)
            var features = _vision!.EncodeObservations(state, frames, null);                                   // (B, To, Do), centre crops
            var sample = predict(features).Chunk;                                                              // (B, Tp, Da)
            if (Config.Noise.DataScale != 1.0)
            {
                using var scale = Config.Noise.DataScale.ToScalar();                              // held across the call
                sample = sample.div(scale);
            }
            chunk = sample.contiguous().data<float>().ToArray();
        }
        return Unflatten(ActionNormalizer.Unnormalize(chunk), bsz);
    }

    private float[] Flatten(double[][][] windows, string parameter)
    {
        var cfg = Config.Policy;
        int n = cfg.StateDim;
        var flat = new float[windows.Length * cfg.ObsSteps * n];
        for (int b = 0; b < windows.Length; b++)
            for (int t = 0; t < cfg.ObsSteps; t++)
            {
                var v = windows[b][t];
                if (v is null || v.Length != n)
                    throw new ArgumentException($"observation {t} of window {b} has {v?.Length ?? 0} values; the policy needs {n}", parameter);
                for (int d = 0; d < n; d++)
                {
                    if (!double.IsFinite(v[d]))
                        throw new ArgumentException($"observation {t} of window {b} has a non-finite value ({v[d]}) at index {d}", parameter);
                    flat[((b * cfg.ObsSteps) + t) * n + d] = (float)v[d];
                }
            }
        return flat;
    }

    private (double[][][] Actions, double[][][] Chunks) Unflatten(float[] actions, int count)
    {
        var cfg = Config.Policy;
        var chunks = new double[count][][];
        var executed = new double[count][][];
        int start = cfg.ObsSteps - 1;
        for (int b = 0; b < count; b++)
        {
            chunks[b] = new double[cfg.Horizon][];
            for (int t = 0; t < cfg.Horizon; t++)
            {
                chunks[b][t] = new double[cfg.ActionDim];
                for (int d = 0; d < cfg.ActionDim; d++) chunks[b][t][d] = actions[((b * cfg.Horizon) + t) * cfg.ActionDim + d];
            }
            executed[b] = chunks[b][start..(start + cfg.ActionSteps)];
        }
        return (executed, chunks);
    }

    /// <summary>
    /// Plans for a batch of observation windows: the executed actions (B, Ta, Da) and the whole predicted chunk
    /// (B, Tp, Da), both in task units. <paramref name="inferenceSteps"/> overrides the configured step count.
    /// </summary>
    /// <remarks>
    /// One generator seeded with <paramref name="seed"/> draws the whole batch's noise, so a window's plan depends
    /// on its batch (training-time evaluation, <c>eval</c>). For plans that must not depend on batching, use
    /// the overload with one seed per window.
    /// </remarks>
    public (double[][][] Actions, double[][][] Chunks) PlanChunks(IReadOnlyList<double[][]> windows, long seed, int? inferenceSteps)
    {
        int steps = inferenceSteps ?? Config.InferenceSteps;
        return PlanChunks(windows, obs =>
        {
            using var g = new Generator(unchecked((ulong)seed));
            return _policy.PredictActionChunk(obs, steps, g);
        });
    }

    /// <summary>
    /// Plans for a batch of observation windows with one seed per window (<see cref="NoiseSeeds"/>): window b's
    /// initial noise and DDPM step noise come from its own <c>Generator(seeds[b])</c> exactly as in
    /// <c>PlanChunks([windows[b]], seeds[b], steps)</c>, so its plan does not depend on the other windows in the
    /// batch (up to float rounding of the batched network, about 1e-6 relative).
    /// </summary>
    public (double[][][] Actions, double[][][] Chunks) PlanChunks(IReadOnlyList<double[][]> windows, IReadOnlyList<long> seeds, int? inferenceSteps)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count != windows.Count)
            throw new ArgumentException($"expected one seed per observation window: {windows.Count} windows but {seeds.Count} seeds", nameof(seeds));
        int steps = inferenceSteps ?? Config.InferenceSteps;
        return PlanChunks(windows, obs =>
        {
            using var noise = new NoiseSeeds(seeds);
            return _policy.PredictActionChunk(obs, steps, noise);
        });
    }

    private (double[][][] Actions, double[][][] Chunks) PlanChunks(IReadOnlyList<double[][]> windows, Func<Tensor, ActionPrediction> predict)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var cfg = Config.Policy;
        if (_vision is not null)
            throw new ArgumentException(
                $"this vision policy needs camera frames ([{string.Join(", ", Cameras.Select(c => c.Name))}]) with every observation; plan with ObservationWindow", nameof(windows));
        if (windows.Count == 0) throw new ArgumentException("expected at least one observation window; got none", nameof(windows));
        var flat = new float[windows.Count * cfg.ObsSteps * cfg.ObsDim];
        for (int b = 0; b < windows.Count; b++)
        {
            var w = windows[b] ?? throw new ArgumentException($"observation window {b} is null", nameof(windows));
            if (w.Length != cfg.ObsSteps)
                throw new ArgumentException($"observation window {b} has {w.Length} steps; the policy needs To = {cfg.ObsSteps}", nameof(windows));
            for (int t = 0; t < cfg.ObsSteps; t++)
            {
                if (w[t] is null || w[t].Length != cfg.ObsDim)
                    throw new ArgumentException($"observation {t} of window {b} has {w[t]?.Length ?? 0} values; the policy needs {cfg.ObsDim}", nameof(windows));
                for (int d = 0; d < cfg.ObsDim; d++)
                {
                    double v = w[t][d];
                    if (!double.IsFinite(v))
                        throw new ArgumentException($"observation {t} of window {b} has a non-finite value ({v}) at index {d}", nameof(windows));
                    flat[((b * cfg.ObsSteps) + t) * cfg.ObsDim + d] = (float)v;
                }
            }
        }
        var normalized = ObservationNormalizer.Normalize(flat);
        float[] chunk;
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            var obs = tensor(normalized).reshape(windows.Count, cfg.ObsSteps, cfg.ObsDim);       // (B, To, Do)
            var prediction = predict(obs);
            var sample = prediction.Chunk;                                                        // (B, Tp, Da), scaled space
            if (Config.Noise.DataScale != 1.0)
            {
                using var scale = Config.Noise.DataScale.ToScalar();                              // held across the call
                sample = sample.div(scale);                                                       // undo data scaling
            }
            chunk = sample.contiguous().data<float>().ToArray();
        }
        var actions = ActionNormalizer.Unnormalize(chunk);
        var chunks = new double[windows.Count][][];
        var executed = new double[windows.Count][][];
        int start = cfg.ObsSteps - 1;
        for (int b = 0; b < windows.Count; b++)
        {
            chunks[b] = new double[cfg.Horizon][];
            for (int t = 0; t < cfg.Horizon; t++)
            {
                chunks[b][t] = new double[cfg.ActionDim];
                for (int d = 0; d < cfg.ActionDim; d++) chunks[b][t][d] = actions[((b * cfg.Horizon) + t) * cfg.ActionDim + d];
            }
            executed[b] = chunks[b][start..(start + cfg.ActionSteps)];
        }
        return (executed, chunks);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_vision is not null)
        {
            foreach (var p in _vision.parameters()) p.Dispose();
            foreach (var b in _vision.buffers()) b.Dispose();
            _vision.Dispose();
            return;
        }
        // Module.Dispose frees the native module, but the managed parameter and buffer tensors keep their native
        // storage until the finaliser runs; dispose them here so unloading a policy frees its weights at once.
        if (_policy.Denoiser is ConditionalUnet1D network)
        {
            foreach (var p in network.parameters()) p.Dispose();
            foreach (var b in network.buffers()) b.Dispose();
        }
        _policy.Denoiser.Dispose();
    }
}
